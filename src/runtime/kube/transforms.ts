// What informers do to an object on receipt: managedFields and kubectl's last-applied annotation are dropped (large,
// a second copy of the object, and read by no decision), and Secrets are kept as key names only, so their values
// never enter a controller's memory.
import type { KubeObject, SecretKeys } from '../../api/endpoint/model.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The object without metadata.managedFields and without the last-applied annotation. */
export function slimObject(raw: unknown): KubeObject {
  const obj = raw as KubeObject & { metadata: { managedFields?: unknown; annotations?: Record<string, string> } };
  const annotations = obj.metadata?.annotations;
  const lastApplied = annotations !== undefined && LAST_APPLIED in annotations;
  if (!obj.metadata?.managedFields && !lastApplied) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  if (lastApplied) {
    const { [LAST_APPLIED]: _applied, ...rest } = annotations;
    metadata.annotations = rest;
  }
  return { ...obj, metadata };
}

/** Secrets never enter a controller's memory with their values: only which keys exist. */
export function secretKeysOnly(raw: unknown): SecretKeys {
  const s = raw as KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };
  const { name, namespace, uid, resourceVersion } = s.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid, resourceVersion },
    keys: Object.keys({ ...s.data, ...s.stringData }).sort(),
  };
}
