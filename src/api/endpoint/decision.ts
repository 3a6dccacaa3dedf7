// The reconciler's routing decisions, kept out of the state chart so they can be tested without XState: where a
// snapshot sends the endpoint (gone, terminating, invalid, direct, proxy), what the proxy needs applied or removed,
// and what the finalizer list should become.
import type { Endpoint } from './model.ts';
import { ENDPOINT_FINALIZER, proxyNames } from './proxy-names.ts';
import {
  appliedHash,
  type Manifest,
  type OwnedObjectRef,
  type ProxySettings,
  renderProxyObjects,
} from './proxy-objects.ts';
import type { EndpointSnapshot } from './snapshot.ts';
import type { Validation } from './validation.ts';

export type Route = 'gone' | 'released' | 'terminate' | 'invalid' | 'direct' | 'proxy';

export function route(snapshot: EndpointSnapshot, validation: Validation | null): Route {
  const endpoint = snapshot.endpoint;
  if (!endpoint) return 'gone';
  if (endpoint.metadata.deletionTimestamp) return hasFinalizer(endpoint) ? 'terminate' : 'released';
  if (!validation?.valid) return 'invalid';
  return endpoint.spec.type === 'direct' ? 'direct' : 'proxy';
}

export function hasFinalizer(endpoint: Endpoint): boolean {
  return endpoint.metadata.finalizers?.includes(ENDPOINT_FINALIZER) ?? false;
}

export function finalizersWith(endpoint: Endpoint): string[] {
  const list = endpoint.metadata.finalizers ?? [];
  return list.includes(ENDPOINT_FINALIZER) ? [...list] : [...list, ENDPOINT_FINALIZER];
}

export function finalizersWithout(endpoint: Endpoint): string[] {
  return (endpoint.metadata.finalizers ?? []).filter((f) => f !== ENDPOINT_FINALIZER);
}

export interface ProxyPlan {
  apply: Manifest[];
  remove: OwnedObjectRef[];
}

/** Only objects whose applied hash differs from the desired one are applied; an unchanged proxy costs no API call. */
export function planProxy(snapshot: EndpointSnapshot, settings: ProxySettings): ProxyPlan {
  const endpoint = snapshot.endpoint;
  if (!endpoint) return { apply: [], remove: [] };
  const desired = renderProxyObjects(endpoint, snapshot.authConfig, settings);
  const cached = {
    ServiceAccount: snapshot.owned.serviceAccount,
    Deployment: snapshot.owned.deployment,
    Service: snapshot.owned.service,
  };
  const apply = desired.filter((m) => appliedHash(cached[m.kind]) !== appliedHash(m));
  const remove: OwnedObjectRef[] = [];
  const userAccount = endpoint.spec.proxyConfig?.serviceAccount;
  const ours = snapshot.owned.serviceAccount;
  // The user switched to their own ServiceAccount: the one the operator created is no longer needed.
  if (userAccount && ours && ours.metadata.name !== userAccount) {
    remove.push({ kind: 'ServiceAccount', namespace: ours.metadata.namespace ?? '', name: ours.metadata.name });
  }
  return { apply, remove };
}

/**
 * What the finalizer deletes. Names are derived, not read from the caches, so an object created moments ago and not
 * yet seen by an informer is still removed (a 404 on delete counts as done).
 */
export function teardownRefs(endpoint: Endpoint): OwnedObjectRef[] {
  const namespace = endpoint.metadata.namespace ?? '';
  const { name } = proxyNames(endpoint.metadata.name);
  const refs: OwnedObjectRef[] = [
    { kind: 'Deployment', namespace, name },
    { kind: 'Service', namespace, name },
  ];
  if (endpoint.spec.proxyConfig?.serviceAccount !== name) refs.push({ kind: 'ServiceAccount', namespace, name });
  return refs;
}
