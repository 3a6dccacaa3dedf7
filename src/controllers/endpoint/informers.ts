// The operator's informers: one reflector per resource the endpoint reconciler reads, and the cache view the effect
// actors get. Secrets are stored as key names only; managedFields are dropped everywhere (they are large and unused).

import type { EndpointCaches } from '../../actors/kube/caches.ts';
import { Resources } from '../../actors/kube/kube-api.ts';
import { VmcpResources } from '../../actors/kube/vmcp-resources.ts';
import type {
  ConfigMap,
  Deployment,
  Endpoint,
  ExternalAuthConfig,
  Group,
  KubeObject,
  SecretKeys,
} from '../../api/endpoint/model.ts';
import { OWNED_SELECTOR } from '../../api/endpoint/proxy-names.ts';
import type { OwnedKind } from '../../api/endpoint/proxy-objects.ts';
import type { NameCollision } from '../../api/endpoint/snapshot.ts';
import type { ToolConfig } from '../../api/vmcp/model.ts';
import type { Reflector } from '../../runtime/kube/reflector.ts';
import {
  lifecycleOf,
  type ReflectorSetOptions,
  reflectorMaker,
  secretKeysOnly,
  slimObject,
} from '../../runtime/kube/reflector-set.ts';

export type InformerName =
  | 'endpoints'
  | 'groups'
  | 'authConfigs'
  | 'configMaps'
  | 'toolConfigs'
  | 'secrets'
  | 'mcpServers'
  | 'mcpRemoteProxies'
  | 'deployments'
  | 'services'
  | 'serviceAccounts';

export interface Informers extends EndpointCaches {
  endpoints: Reflector<Endpoint>;
  groups: Reflector<Group>;
  all: Record<InformerName, Reflector<KubeObject>>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type InformerOptions = ReflectorSetOptions<InformerName>;

export function createInformers(opts: InformerOptions): Informers {
  const make = reflectorMaker(opts);

  const endpoints = make<Endpoint>('endpoints', Resources.endpoint);
  const groups = make<Group>('groups', Resources.group);
  const authConfigs = make<ExternalAuthConfig>('authConfigs', Resources.authConfig);
  const configMaps = make<ConfigMap>('configMaps', Resources.configMap);
  const toolConfigs = make<ToolConfig>('toolConfigs', VmcpResources.toolConfig);
  const secrets = make<SecretKeys>('secrets', Resources.secret, { transform: secretKeysOnly });
  const mcpServers = make<KubeObject>('mcpServers', Resources.mcpServer, { optional: true });
  const mcpRemoteProxies = make<KubeObject>('mcpRemoteProxies', Resources.mcpRemoteProxy, { optional: true });
  const owned = { labelSelector: OWNED_SELECTOR };
  const deployments = make<Deployment>('deployments', Resources.deployment, owned);
  const services = make<KubeObject>('services', Resources.service, owned);
  const serviceAccounts = make<KubeObject>('serviceAccounts', Resources.serviceAccount, owned);

  const all = {
    endpoints,
    groups,
    authConfigs,
    configMaps,
    toolConfigs,
    secrets,
    mcpServers,
    mcpRemoteProxies,
    deployments,
    services,
    serviceAccounts,
  } as unknown as Record<InformerName, Reflector<KubeObject>>;

  const ownedStores: Record<OwnedKind, Reflector<KubeObject>> = {
    Deployment: deployments,
    Service: services,
    ServiceAccount: serviceAccounts,
  };

  return {
    endpoints,
    groups,
    all,
    ...lifecycleOf(all),
    endpoint: (ns, name) => endpoints.store.get(ns, name),
    group: (ns, name) => groups.store.get(ns, name),
    authConfig: (ns, name) => authConfigs.store.get(ns, name),
    configMap: (ns, name) => configMaps.store.get(ns, name),
    toolConfig: (ns, name) => toolConfigs.store.get(ns, name),
    secret: (ns, name) => secrets.store.get(ns, name),
    collisions(ns, name) {
      const out: NameCollision[] = [];
      if (mcpServers.store.get(ns, name)) out.push({ kind: 'MCPServer', name });
      if (mcpRemoteProxies.store.get(ns, name)) out.push({ kind: 'MCPRemoteProxy', name });
      return out;
    },
    owned: (kind, ns, name) => ownedStores[kind].store.get(ns, name),
    offerEndpoint: (endpoint) => {
      endpoints.store.offer(slimObject(endpoint) as Endpoint);
    },
  };
}
