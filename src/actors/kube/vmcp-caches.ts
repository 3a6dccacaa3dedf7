// What the VirtualMCPServer effect actors may read from the informer caches. The runtime implements it over its
// reflectors; tests over plain maps. Secrets are key names only.
import type { Endpoint, KubeObject } from '../../api/endpoint/model.ts';
import type { VirtualMCPServer, VmcpOwnedKind } from '../../api/vmcp/model.ts';
import type { ReferenceCaches } from './caches.ts';

export interface VmcpCaches extends ReferenceCaches {
  vmcp(namespace: string, name: string): VirtualMCPServer | undefined;
  /** Endpoints whose spec.groupRef names this group, in any order. */
  groupMembers(namespace: string, group: string): Endpoint[];
  owned(kind: VmcpOwnedKind, namespace: string, name: string): KubeObject | undefined;
  /** A newer copy of a VirtualMCPServer (a live read or a write's answer); ignored if the cache has newer. */
  offerVmcp(vmcp: VirtualMCPServer): void;
}
