// Which other objects an endpoint's status depends on. The runtime indexes these so that a change to one of them
// wakes exactly the endpoints that reference it (an index, not a scan of every endpoint).
import { telemetrySecretRefs } from '../telemetry-env.ts';
import type { Endpoint } from './model.ts';

export type ReferencedKind =
  | 'MCPGroup'
  | 'MCPExternalAuthConfig'
  | 'MCPToolConfig'
  | 'ConfigMap'
  | 'Secret'
  | 'MCPServer'
  | 'MCPRemoteProxy'
  | 'Deployment'
  | 'Service'
  | 'ServiceAccount';

/** A stable string for one referenced object: `<Kind>:<namespace>/<name>`. */
export type RefKey = string;

export function refKey(kind: ReferencedKind, namespace: string, name: string): RefKey {
  return `${kind}:${namespace}/${name}`;
}

/** `namespace/name`, the key of a namespaced object in caches, queues and actor registries. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitObjectKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Every object the endpoint's validation reads, as ref keys (sorted, de-duplicated). Same-name MCPServer and
 * MCPRemoteProxy are included because their existence is a NameCollision.
 */
export function endpointReferences(endpoint: Endpoint): RefKey[] {
  const ns = endpoint.metadata.namespace ?? '';
  const spec = endpoint.spec;
  const refs = new Set<RefKey>();
  if (spec.groupRef) refs.add(refKey('MCPGroup', ns, spec.groupRef));
  if (spec.externalAuthConfigRef?.name) refs.add(refKey('MCPExternalAuthConfig', ns, spec.externalAuthConfigRef.name));
  if (spec.caBundleRef?.name) refs.add(refKey('ConfigMap', ns, spec.caBundleRef.name));
  if (spec.toolConfigRef?.name) refs.add(refKey('MCPToolConfig', ns, spec.toolConfigRef.name));
  for (const h of spec.headerForward?.addHeadersFromSecret ?? []) {
    if (h.valueSecretRef?.name) refs.add(refKey('Secret', ns, h.valueSecretRef.name));
  }
  for (const r of telemetrySecretRefs(spec.proxyConfig?.telemetry)) refs.add(refKey('Secret', ns, r.name));
  refs.add(refKey('MCPServer', ns, endpoint.metadata.name));
  refs.add(refKey('MCPRemoteProxy', ns, endpoint.metadata.name));
  return [...refs].sort();
}
