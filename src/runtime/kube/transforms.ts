// What informers do to an object on receipt: managedFields and kubectl's last-applied annotation are dropped (large,
// a second copy of the object, and read by no decision), the strings that repeat from object to object are shared,
// and Secrets are kept as key names only (and a TLS certificate's digest), so their values never enter a controller's
// memory.
import { createHash } from 'node:crypto';
import type { KubeObject, SecretKeys } from '../../api/endpoint/model.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The object without metadata.managedFields and without the last-applied annotation, its repeated strings shared
 * (see shareStrings).
 */
export function slimObject(raw: unknown): KubeObject {
  const obj = raw as KubeObject & { metadata: { managedFields?: unknown; annotations?: Record<string, string> } };
  const annotations = obj.metadata?.annotations;
  const lastApplied = annotations !== undefined && LAST_APPLIED in annotations;
  if (!obj.metadata?.managedFields && !lastApplied) return shareStrings(obj);
  const { managedFields: _, ...metadata } = obj.metadata;
  if (lastApplied) {
    const { [LAST_APPLIED]: _applied, ...rest } = annotations;
    metadata.annotations = rest;
  }
  return shareStrings({ ...obj, metadata });
}

/** Strings longer than this are rarely shared between objects and are left alone. */
const SHARED_MAX_LENGTH = 200;
/** The table starts over when it reaches this many strings, so unique values (messages, times) cannot grow it. */
const SHARED_LIMIT = 8192;
const shared = new Map<string, string>();

function share(s: string): string {
  if (s.length > SHARED_MAX_LENGTH) return s;
  const known = shared.get(s);
  if (known !== undefined) return known;
  if (shared.size >= SHARED_LIMIT) shared.clear();
  shared.set(s, s);
  return s;
}

type Fields = Record<string, unknown>;
function shareFields(o: Fields, keys: readonly string[]): void {
  // A frozen object is already one copy shared by all its readers (the simulator's API server hands those out).
  if (Object.isFrozen(o)) return;
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string') o[k] = share(v);
  }
}

const CONDITION_FIELDS = ['type', 'status', 'reason', 'message', 'lastTransitionTime'] as const;

/**
 * One copy of the strings that repeat across the objects of a cache (apiVersion, kind, namespace, creation time, the
 * status phase and condition fields): JSON.parse gives every object its own, which at thousands of objects is
 * megabytes of duplicates. Changes the object in place (it is fresh from the wire; frozen parts are left as they
 * are) and returns it.
 */
export function shareStrings<T extends KubeObject>(obj: T): T {
  shareFields(obj as unknown as Fields, ['apiVersion', 'kind']);
  if (obj.metadata) shareFields(obj.metadata as unknown as Fields, ['namespace', 'creationTimestamp']);
  const status = (obj as { status?: unknown }).status;
  if (status && typeof status === 'object') {
    shareFields(status as Fields, ['phase']);
    const conditions = (status as { conditions?: unknown }).conditions;
    if (Array.isArray(conditions))
      for (const c of conditions) if (c && typeof c === 'object') shareFields(c as Fields, CONDITION_FIELDS);
  }
  return obj;
}

/**
 * Secrets never enter a controller's memory with their values: only which keys exist, and a digest of a TLS
 * certificate (public) so that its renewal can be noticed.
 */
export function secretKeysOnly(raw: unknown): SecretKeys {
  const s = raw as KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };
  const { name, namespace, uid, resourceVersion } = s.metadata;
  const cert = s.stringData?.['tls.crt'] ?? s.data?.['tls.crt'];
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid, resourceVersion },
    keys: Object.keys({ ...s.data, ...s.stringData }).sort(),
    ...(cert !== undefined ? { tlsCertDigest: createHash('sha256').update(cert).digest('hex') } : {}),
  };
}
