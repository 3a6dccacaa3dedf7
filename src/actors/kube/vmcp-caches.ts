// What the VirtualMCPServer effect actors may read from the informer caches. The runtime implements it over its
// reflectors; tests over plain maps. Secrets are key names only.
import type {
  ConfigMap,
  Endpoint,
  ExternalAuthConfig,
  Group,
  KubeObject,
  SecretKeys,
} from '../../api/endpoint/model.ts';
import type { ToolConfig, VirtualMCPServer, VmcpOwnedKind } from '../../api/vmcp/model.ts';

export interface VmcpCaches {
  vmcp(namespace: string, name: string): VirtualMCPServer | undefined;
  group(namespace: string, name: string): Group | undefined;
  /** Endpoints whose spec.groupRef names this group, in any order. */
  groupMembers(namespace: string, group: string): Endpoint[];
  authConfig(namespace: string, name: string): ExternalAuthConfig | undefined;
  toolConfig(namespace: string, name: string): ToolConfig | undefined;
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): SecretKeys | undefined;
  owned(kind: VmcpOwnedKind, namespace: string, name: string): KubeObject | undefined;
  /** A newer copy of a VirtualMCPServer (a live read or a write's answer); ignored if the cache has newer. */
  offerVmcp(vmcp: VirtualMCPServer): void;
}
