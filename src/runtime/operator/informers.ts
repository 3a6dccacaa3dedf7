// The operator's informers: one reflector per resource the endpoint reconciler reads, and the cache view the effect
// actors get. Secrets are stored as key names only; managedFields are dropped everywhere (they are large and unused).

import type { EndpointCaches } from '../../actors/kube/caches.ts';
import { Resources, type ResourceType } from '../../actors/kube/kube-api.ts';
import type {
  ConfigMap,
  Deployment,
  Endpoint,
  ExternalAuthConfig,
  Group,
  KubeObject,
  SecretKeys,
} from '../../api/endpoint-model.ts';
import { OWNED_SELECTOR } from '../../api/endpoint-proxy-names.ts';
import type { OwnedKind } from '../../api/endpoint-proxy-objects.ts';
import type { NameCollision } from '../../api/endpoint-snapshot.ts';
import type { RuntimeClock } from '../clock.ts';
import type { KubeHttp } from '../kube/kube-http.ts';
import { type ChangeHandler, Reflector, type ReflectorOptions } from '../kube/reflector.ts';
import type { Rng } from '../random.ts';

export type InformerName =
  | 'endpoints'
  | 'groups'
  | 'authConfigs'
  | 'configMaps'
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

export interface InformerOptions {
  api: KubeHttp;
  namespace?: string;
  rng: Rng;
  onChange: (informer: InformerName, ...args: Parameters<ChangeHandler<KubeObject>>) => void;
  log?: ReflectorOptions<KubeObject>['log'];
  inactivityMs?: number;
  clock?: RuntimeClock;
}

export function createInformers(opts: InformerOptions): Informers {
  const make = <T extends KubeObject>(
    name: InformerName,
    resource: ResourceType,
    extra: Partial<ReflectorOptions<T>> = {},
  ): Reflector<T> =>
    new Reflector<T>({
      api: opts.api,
      resource,
      namespace: opts.namespace,
      rng: opts.rng,
      log: opts.log,
      inactivityMs: opts.inactivityMs,
      clock: opts.clock,
      transform: (raw) => slim(raw) as T,
      onChange: (type, obj, old) => opts.onChange(name, type, obj, old),
      ...extra,
    });

  const endpoints = make<Endpoint>('endpoints', Resources.endpoint);
  const groups = make<Group>('groups', Resources.group);
  const authConfigs = make<ExternalAuthConfig>('authConfigs', Resources.authConfig);
  const configMaps = make<ConfigMap>('configMaps', Resources.configMap);
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
    async start() {
      await Promise.all(Object.values(all).map((r) => r.start()));
    },
    async stop() {
      await Promise.all(Object.values(all).map((r) => r.stop()));
    },
    endpoint: (ns, name) => endpoints.store.get(ns, name),
    group: (ns, name) => groups.store.get(ns, name),
    authConfig: (ns, name) => authConfigs.store.get(ns, name),
    configMap: (ns, name) => configMaps.store.get(ns, name),
    secret: (ns, name) => secrets.store.get(ns, name),
    collisions(ns, name) {
      const out: NameCollision[] = [];
      if (mcpServers.store.get(ns, name)) out.push({ kind: 'MCPServer', name });
      if (mcpRemoteProxies.store.get(ns, name)) out.push({ kind: 'MCPRemoteProxy', name });
      return out;
    },
    owned: (kind, ns, name) => ownedStores[kind].store.get(ns, name),
    offerEndpoint: (endpoint) => {
      endpoints.store.offer(slim(endpoint) as Endpoint);
    },
  };
}

function slim(raw: unknown): KubeObject {
  const obj = raw as KubeObject & { metadata: { managedFields?: unknown } };
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Secrets never enter the operator's memory with their values: only which keys exist. */
function secretKeysOnly(raw: unknown): SecretKeys {
  const s = raw as KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };
  const { name, namespace, uid, resourceVersion } = s.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid, resourceVersion },
    keys: Object.keys({ ...s.data, ...s.stringData }).sort(),
  };
}
