// The VirtualMCPServer controller's informers: one reflector per resource its reconcile reads, a group -> members
// index over the endpoints (so a reconcile reads its group's members without scanning every endpoint), and the cache
// view the effect actors get. Secrets are kept as key names only; managedFields are dropped.
import { Resources } from '../../actors/kube/kube-api.ts';
import type { VmcpCaches } from '../../actors/kube/vmcp-caches.ts';
import { VmcpResources } from '../../actors/kube/vmcp-resources.ts';
import type {
  ConfigMap,
  Endpoint,
  ExternalAuthConfig,
  Group,
  KubeObject,
  SecretKeys,
} from '../../api/endpoint/model.ts';
import { objectKey } from '../../api/endpoint/references.ts';
import type { ToolConfig, VirtualMCPServer, VmcpOwnedKind } from '../../api/vmcp/model.ts';
import { VMCP_OWNED_SELECTOR } from '../../api/vmcp/names.ts';
import type { Reflector } from '../../runtime/kube/reflector.ts';
import {
  lifecycleOf,
  type ReflectorSetOptions,
  reflectorMaker,
  secretKeysOnly,
  slimObject,
} from '../../runtime/kube/reflector-set.ts';
import { keyOf } from '../../runtime/kube/store.ts';

export type VmcpInformerName =
  | 'vmcps'
  | 'endpoints'
  | 'groups'
  | 'authConfigs'
  | 'toolConfigs'
  | 'configMaps'
  | 'secrets'
  | 'deployments'
  | 'services'
  | 'serviceAccounts'
  | 'roles'
  | 'roleBindings';

export interface VmcpInformers extends VmcpCaches {
  vmcps: Reflector<VirtualMCPServer>;
  all: Record<VmcpInformerName, Reflector<KubeObject>>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type VmcpInformerOptions = Omit<ReflectorSetOptions<VmcpInformerName>, 'clock'>;

export function createVmcpInformers(opts: VmcpInformerOptions): VmcpInformers {
  // Group membership: `namespace/group` -> endpoint keys, kept current before anyone hears of a change.
  const members = new Map<string, Set<string>>();
  const groupKey = (e: Endpoint) => objectKey(e.metadata.namespace ?? '', e.spec.groupRef);
  const track = (type: string, obj: KubeObject, old: KubeObject | undefined) => {
    const key = keyOf(obj);
    if (old) members.get(groupKey(old as Endpoint))?.delete(key);
    if (type !== 'deleted') {
      const g = groupKey(obj as Endpoint);
      const set = members.get(g) ?? new Set<string>();
      set.add(key);
      members.set(g, set);
    }
  };

  const make = reflectorMaker<VmcpInformerName>({
    ...opts,
    onChange: (name, type, obj, old) => {
      if (name === 'endpoints') track(type, obj, old);
      opts.onChange(name, type, obj, old);
    },
  });

  const owned = { labelSelector: VMCP_OWNED_SELECTOR };
  // Optional: an operator on a cluster without the VirtualMCPServer CRD still reconciles endpoints.
  const vmcps = make<VirtualMCPServer>('vmcps', VmcpResources.virtualMcpServer, { optional: true });
  const endpoints = make<Endpoint>('endpoints', Resources.endpoint);
  const groups = make<Group>('groups', Resources.group);
  const authConfigs = make<ExternalAuthConfig>('authConfigs', Resources.authConfig);
  const toolConfigs = make<ToolConfig>('toolConfigs', VmcpResources.toolConfig);
  const configMaps = make<ConfigMap>('configMaps', Resources.configMap);
  const secrets = make<SecretKeys>('secrets', Resources.secret, { transform: secretKeysOnly });
  const deployments = make<KubeObject>('deployments', Resources.deployment, owned);
  const services = make<KubeObject>('services', Resources.service, owned);
  const serviceAccounts = make<KubeObject>('serviceAccounts', Resources.serviceAccount, owned);
  const roles = make<KubeObject>('roles', VmcpResources.role, owned);
  const roleBindings = make<KubeObject>('roleBindings', VmcpResources.roleBinding, owned);

  const all = {
    vmcps,
    endpoints,
    groups,
    authConfigs,
    toolConfigs,
    configMaps,
    secrets,
    deployments,
    services,
    serviceAccounts,
    roles,
    roleBindings,
  } as unknown as Record<VmcpInformerName, Reflector<KubeObject>>;

  const ownedStores: Record<VmcpOwnedKind, Reflector<KubeObject>> = {
    ServiceAccount: serviceAccounts,
    Role: roles,
    RoleBinding: roleBindings,
    ConfigMap: configMaps as unknown as Reflector<KubeObject>,
    Deployment: deployments,
    Service: services,
  };

  return {
    vmcps,
    all,
    ...lifecycleOf(all),
    vmcp: (ns, name) => vmcps.store.get(ns, name),
    group: (ns, name) => groups.store.get(ns, name),
    groupMembers: (ns, group) =>
      [...(members.get(objectKey(ns, group)) ?? [])]
        .map((k) => endpoints.store.getByKey(k))
        .filter((e): e is Endpoint => e !== undefined && e.spec.groupRef === group),
    authConfig: (ns, name) => authConfigs.store.get(ns, name),
    toolConfig: (ns, name) => toolConfigs.store.get(ns, name),
    configMap: (ns, name) => configMaps.store.get(ns, name),
    secret: (ns, name) => secrets.store.get(ns, name),
    owned: (kind, ns, name) => ownedStores[kind].store.get(ns, name),
    offerVmcp: (vmcp) => {
      vmcps.store.offer(slimObject(vmcp) as VirtualMCPServer);
    },
  };
}
