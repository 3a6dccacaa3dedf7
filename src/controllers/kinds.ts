// What the operator's controllers watch, declared once: a kind read by several controllers is one informer with
// one label selector (the manager refuses two different declarations of one resource). Owned objects are watched by
// the label every mcpre-made object carries (app.kubernetes.io/managed-by=mcpre): the endpoint proxies' and the
// VirtualMCPServer gateways' together; each controller tells its own apart by their owner reference.
import { Resources } from '../actors/kube/kube-api.ts';
import { VmcpResources } from '../actors/kube/vmcp-resources.ts';
import { OWNED_SELECTOR } from '../api/endpoint/proxy-names.ts';
import type { WatchSpec } from '../runtime/kube/shared-informers.ts';
import { secretKeysOnly } from '../runtime/kube/transforms.ts';

const owned = (resource: WatchSpec['resource']): WatchSpec => ({ resource, labelSelector: OWNED_SELECTOR });

export const Watches = {
  endpoints: { resource: Resources.endpoint },
  groups: { resource: Resources.group },
  authConfigs: { resource: Resources.authConfig },
  toolConfigs: { resource: VmcpResources.toolConfig },
  configMaps: { resource: Resources.configMap },
  // Secrets never enter a controller's memory with their values: only which keys exist.
  secrets: { resource: Resources.secret, transform: secretKeysOnly },
  mcpServers: { resource: Resources.mcpServer, optional: true },
  mcpRemoteProxies: { resource: Resources.mcpRemoteProxy, optional: true },
  // Optional: an operator on a cluster without the VirtualMCPServer CRD still reconciles endpoints.
  vmcps: { resource: VmcpResources.virtualMcpServer, optional: true },
  deployments: owned(Resources.deployment),
  services: owned(Resources.service),
  serviceAccounts: owned(Resources.serviceAccount),
  roles: owned(VmcpResources.role),
  roleBindings: owned(VmcpResources.roleBinding),
} as const satisfies Record<string, WatchSpec>;

export type WatchName = keyof typeof Watches;

/** The subset of the table a controller declares. */
export function watchesOf<N extends WatchName>(...names: N[]): Record<N, WatchSpec> {
  return Object.fromEntries(names.map((n) => [n, Watches[n]])) as unknown as Record<N, WatchSpec>;
}
