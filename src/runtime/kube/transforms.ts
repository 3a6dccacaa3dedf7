// What informers do to an object on receipt: managedFields are dropped (large and unused), and Secrets are kept as
// key names only, so their values never enter a controller's memory.
import type { KubeObject, SecretKeys } from '../../api/endpoint/model.ts';

/** The object without metadata.managedFields. */
export function slimObject(raw: unknown): KubeObject {
  const obj = raw as KubeObject & { metadata: { managedFields?: unknown } };
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
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
