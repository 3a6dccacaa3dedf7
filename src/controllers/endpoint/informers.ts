// What the endpoint controller watches (from the operator's table of kinds, shared with the other controllers) and
// the cache view its effect actors get over those informers.
import type { EndpointCaches } from '../../actors/kube/caches.ts';
import type { Endpoint, KubeObject } from '../../api/endpoint/model.ts';
import type { OwnedKind } from '../../api/endpoint/proxy-objects.ts';
import type { NameCollision } from '../../api/endpoint/snapshot.ts';
import type { Reflector } from '../../runtime/kube/reflector.ts';
import { slimObject } from '../../runtime/kube/transforms.ts';
import { watchesOf } from '../kinds.ts';

export const ENDPOINT_WATCHES = watchesOf(
  'endpoints',
  'groups',
  'authConfigs',
  'configMaps',
  'toolConfigs',
  'secrets',
  'mcpServers',
  'mcpRemoteProxies',
  'deployments',
  'services',
  'serviceAccounts',
);

export type InformerName = keyof typeof ENDPOINT_WATCHES;
export type Informers = Record<InformerName, Reflector<KubeObject>>;

export function endpointCaches(i: Informers): EndpointCaches {
  const get =
    <T>(name: InformerName) =>
    (ns: string, n: string) =>
      i[name].store.get(ns, n) as T | undefined;
  const ownedStores: Record<OwnedKind, Reflector<KubeObject>> = {
    Deployment: i.deployments,
    Service: i.services,
    ServiceAccount: i.serviceAccounts,
  };
  return {
    endpoint: get('endpoints'),
    group: get('groups'),
    authConfig: get('authConfigs'),
    configMap: get('configMaps'),
    toolConfig: get('toolConfigs'),
    secret: get('secrets'),
    collisions(ns, name) {
      const out: NameCollision[] = [];
      if (i.mcpServers.store.get(ns, name)) out.push({ kind: 'MCPServer', name });
      if (i.mcpRemoteProxies.store.get(ns, name)) out.push({ kind: 'MCPRemoteProxy', name });
      return out;
    },
    owned: (kind, ns, name) => ownedStores[kind].store.get(ns, name),
    offerEndpoint: (endpoint) => {
      (i.endpoints as unknown as Reflector<Endpoint>).offer(slimObject(endpoint) as Endpoint);
    },
  };
}
