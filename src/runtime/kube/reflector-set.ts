// What every controller's set of informers has in common: reflectors made with the same transport, namespace,
// timers and logging, each reporting its changes under its own name; objects slimmed on receipt (managedFields are
// large and unused); Secrets kept as key names only; and the set started and stopped together.
import type { ResourceType } from '../../actors/kube/kube-api.ts';
import type { KubeObject, SecretKeys } from '../../api/endpoint/model.ts';
import type { RuntimeClock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { KubeHttp } from './kube-http.ts';
import { type ChangeHandler, Reflector, type ReflectorOptions } from './reflector.ts';

export interface ReflectorSetOptions<N extends string> {
  api: KubeHttp;
  namespace?: string;
  rng: Rng;
  /** Every change of every reflector, with the name it was made under. */
  onChange: (informer: N, ...args: Parameters<ChangeHandler<KubeObject>>) => void;
  log?: ReflectorOptions<KubeObject>['log'];
  inactivityMs?: number;
  clock?: RuntimeClock;
}

/** A maker of the set's reflectors: `extra` overrides the defaults (a label selector, `optional`, a transform). */
export type MakeReflector<N extends string> = <T extends KubeObject>(
  name: N,
  resource: ResourceType,
  extra?: Partial<ReflectorOptions<T>>,
) => Reflector<T>;

export function reflectorMaker<N extends string>(opts: ReflectorSetOptions<N>): MakeReflector<N> {
  return <T extends KubeObject>(name: N, resource: ResourceType, extra: Partial<ReflectorOptions<T>> = {}) =>
    new Reflector<T>({
      api: opts.api,
      resource,
      namespace: opts.namespace,
      rng: opts.rng,
      log: opts.log,
      inactivityMs: opts.inactivityMs,
      clock: opts.clock,
      transform: (raw) => slimObject(raw) as T,
      onChange: (type, obj, old) => opts.onChange(name, type, obj, old),
      ...extra,
    });
}

/** Starts (resolving once all have synced) and stops a set of reflectors together. */
export function lifecycleOf(reflectors: Record<string, Reflector<KubeObject>>) {
  return {
    async start(): Promise<void> {
      await Promise.all(Object.values(reflectors).map((r) => r.start()));
    },
    async stop(): Promise<void> {
      await Promise.all(Object.values(reflectors).map((r) => r.stop()));
    },
  };
}

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
