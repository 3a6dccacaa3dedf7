// What the VirtualMCPServer controller watches (from the operator's table of kinds, shared with the other
// controllers) and the cache view the effect actors get. Secrets are key names only.
import type { VmcpCaches } from '../../actors/kube/vmcp-caches.ts';
import type { Endpoint, KubeObject } from '../../api/endpoint/model.ts';
import type { VirtualMCPServer, VmcpOwnedKind } from '../../api/vmcp/model.ts';
import type { Reflector } from '../../runtime/kube/reflector.ts';
import { slimObject } from '../../runtime/kube/transforms.ts';
import type { GroupMembers } from '../group-members.ts';
import { watchesOf } from '../kinds.ts';

export const VMCP_WATCHES = watchesOf(
  'vmcps',
  'endpoints',
  'groups',
  'authConfigs',
  'toolConfigs',
  'configMaps',
  'secrets',
  'deployments',
  'services',
  'serviceAccounts',
  'roles',
  'roleBindings',
);

export type VmcpInformerName = keyof typeof VMCP_WATCHES;
export type VmcpInformers = Record<VmcpInformerName, Reflector<KubeObject>>;

export function vmcpCaches(i: VmcpInformers, members: GroupMembers): VmcpCaches {
  const get =
    <T>(name: VmcpInformerName) =>
    (ns: string, n: string) =>
      i[name].store.get(ns, n) as T | undefined;
  const ownedStores: Record<VmcpOwnedKind, Reflector<KubeObject>> = {
    ServiceAccount: i.serviceAccounts,
    Role: i.roles,
    RoleBinding: i.roleBindings,
    ConfigMap: i.configMaps,
    Deployment: i.deployments,
    Service: i.services,
  };
  return {
    vmcp: get('vmcps'),
    group: get('groups'),
    groupMembers: (ns, group) =>
      members
        .keys(ns, group)
        .map((k) => i.endpoints.store.getByKey(k) as Endpoint | undefined)
        .filter((e): e is Endpoint => e !== undefined && e.spec.groupRef === group),
    authConfig: get('authConfigs'),
    toolConfig: get('toolConfigs'),
    configMap: get('configMaps'),
    secret: get('secrets'),
    owned: (kind, ns, name) => ownedStores[kind].store.get(ns, name),
    offerVmcp: (vmcp) => {
      (i.vmcps as unknown as Reflector<VirtualMCPServer>).offer(slimObject(vmcp) as VirtualMCPServer);
    },
  };
}
