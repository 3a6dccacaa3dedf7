// The `observe` effect: one snapshot of an endpoint and everything it references, read from the informer caches
// (or, after a 409, the endpoint itself read live from the API so the next write starts from fresh state).
import { fromPromise } from 'xstate';
import type { Endpoint, KubeObject } from '../../api/endpoint/model.ts';
import { proxyNames } from '../../api/endpoint/proxy-names.ts';
import { type EndpointSnapshot, emptySnapshot } from '../../api/endpoint/snapshot.ts';
import { telemetrySecretRefs } from '../../api/telemetry-env.ts';
import type { ObserveInput } from '../../machines/endpoint-context.ts';
import type { EndpointCaches } from './caches.ts';
import { type KubeApi, Resources, readObject } from './kube-api.ts';

export interface ObserveDeps {
  caches: EndpointCaches;
  api: KubeApi;
  /** RFC 3339 time, from the runtime's clock (stamped on flipped conditions). */
  now: () => string;
}

export function observeEndpoint(deps: ObserveDeps) {
  return fromPromise<EndpointSnapshot, ObserveInput>(async ({ input, signal }) => {
    const { namespace, name } = input.key;
    let endpoint: Endpoint | null = deps.caches.endpoint(namespace, name) ?? null;
    if (input.fresh) {
      endpoint = await readObject<Endpoint>(deps.api, Resources.endpoint, namespace, name, signal);
      if (endpoint) deps.caches.offerEndpoint(endpoint);
    }
    return snapshotFromCaches(deps.caches, endpoint, deps.now());
  });
}

export function snapshotFromCaches(caches: EndpointCaches, endpoint: Endpoint | null, now: string): EndpointSnapshot {
  const snapshot = emptySnapshot(now, endpoint);
  if (!endpoint) return snapshot;
  const ns = endpoint.metadata.namespace ?? '';
  const spec = endpoint.spec;
  if (spec.groupRef) snapshot.group = caches.group(ns, spec.groupRef) ?? null;
  if (spec.externalAuthConfigRef?.name)
    snapshot.authConfig = caches.authConfig(ns, spec.externalAuthConfigRef.name) ?? null;
  if (spec.caBundleRef?.name) snapshot.caBundle = caches.configMap(ns, spec.caBundleRef.name) ?? null;
  if (spec.toolConfigRef?.name) snapshot.toolConfig = caches.toolConfig(ns, spec.toolConfigRef.name) ?? null;
  for (const h of spec.headerForward?.addHeadersFromSecret ?? []) {
    const secretName = h.valueSecretRef?.name;
    if (secretName) snapshot.secrets[secretName] = caches.secret(ns, secretName) ?? null;
  }
  for (const r of telemetrySecretRefs(spec.proxyConfig?.telemetry)) {
    snapshot.secrets[r.name] = caches.secret(ns, r.name) ?? null;
  }
  snapshot.collisions = caches.collisions(ns, endpoint.metadata.name);
  const { name } = proxyNames(endpoint.metadata.name);
  // Only objects that really belong to this endpoint (same uid) count; anything else gets re-applied.
  const mine = <T extends KubeObject>(obj: T | undefined): T | null =>
    obj?.metadata.ownerReferences?.some((o) => o.uid === endpoint.metadata.uid) ? obj : null;
  snapshot.owned = {
    deployment: mine(caches.owned('Deployment', ns, name)),
    service: mine(caches.owned('Service', ns, name)),
    serviceAccount: mine(caches.owned('ServiceAccount', ns, name)),
  };
  return snapshot;
}
