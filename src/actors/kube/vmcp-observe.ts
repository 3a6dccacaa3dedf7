// The VirtualMCPServer `observe` effect: one snapshot of the object, its group, the group's members and everything
// they reference, read from the informer caches (after a 409, the object itself is read live so the next write
// starts from fresh state). Reports the references it followed, so the runtime can wake this actor when they change.
import { fromPromise } from 'xstate';
import type { KubeObject } from '../../api/endpoint/model.ts';
import { discoveryMode, type VirtualMCPServer, VMCP_OWNED_KINDS } from '../../api/vmcp/model.ts';
import { vmcpNames } from '../../api/vmcp/names.ts';
import { sessionStorageConfigMapName } from '../../api/vmcp/session-storage.ts';
import {
  authSecretRef,
  emptyVmcpSnapshot,
  type VmcpSnapshot,
  vmcpOwnSecretNames,
  vmcpReferences,
} from '../../api/vmcp/snapshot.ts';
import type { VmcpObserveInput } from '../../machines/virtual-mcp-server.ts';
import { type KubeApi, readObject } from './kube-api.ts';
import type { VmcpCaches } from './vmcp-caches.ts';
import { VmcpResources } from './vmcp-resources.ts';

export interface VmcpObserveDeps {
  caches: VmcpCaches;
  api: KubeApi;
  now: () => string;
  /** Told which objects this reconcile read (ref keys), after every observation. */
  onReferences?: (key: string, refs: string[]) => void;
}

export function observeVirtualMcpServer(deps: VmcpObserveDeps) {
  return fromPromise<VmcpSnapshot, VmcpObserveInput>(async ({ input, signal }) => {
    const { namespace, name } = input.key;
    let vmcp: VirtualMCPServer | null = deps.caches.vmcp(namespace, name) ?? null;
    if (input.fresh) {
      vmcp = await readObject<VirtualMCPServer>(deps.api, VmcpResources.virtualMcpServer, namespace, name, signal);
      if (vmcp) deps.caches.offerVmcp(vmcp);
    }
    const snapshot = vmcpSnapshotFromCaches(deps.caches, vmcp, deps.now());
    deps.onReferences?.(`${namespace}/${name}`, vmcpReferences(snapshot));
    return snapshot;
  });
}

export function vmcpSnapshotFromCaches(caches: VmcpCaches, vmcp: VirtualMCPServer | null, now: string): VmcpSnapshot {
  const snapshot = emptyVmcpSnapshot(now, vmcp);
  if (!vmcp) return snapshot;
  const ns = vmcp.metadata.namespace ?? '';
  const spec = vmcp.spec;
  snapshot.group = caches.group(ns, spec.groupRef) ?? null;
  snapshot.endpoints = caches
    .groupMembers(ns, spec.groupRef)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const toolConfig = (n: string | undefined) => {
    if (n) snapshot.toolConfigs[n] = caches.toolConfig(ns, n) ?? null;
  };
  for (const t of spec.aggregation?.tools ?? []) toolConfig(t.toolConfigRef?.name);
  for (const s of vmcpOwnSecretNames(vmcp)) snapshot.secrets[s] = caches.secret(ns, s) ?? null;
  const storeCa = sessionStorageConfigMapName(vmcp);
  if (storeCa) snapshot.configMaps[storeCa] = caches.configMap(ns, storeCa) ?? null;
  if (discoveryMode(vmcp) === 'inline') {
    for (const e of snapshot.endpoints) {
      const authName = e.spec.externalAuthConfigRef?.name;
      if (authName) {
        const auth = caches.authConfig(ns, authName) ?? null;
        snapshot.authConfigs[authName] = auth;
        const ref = authSecretRef(auth);
        if (ref) snapshot.secrets[ref.name] = caches.secret(ns, ref.name) ?? null;
      }
      toolConfig(e.spec.toolConfigRef?.name);
      const ca = e.spec.caBundleRef?.name;
      if (ca) snapshot.configMaps[ca] = caches.configMap(ns, ca) ?? null;
      for (const h of e.spec.headerForward?.addHeadersFromSecret ?? []) {
        const s = h.valueSecretRef?.name;
        if (s) snapshot.secrets[s] = caches.secret(ns, s) ?? null;
      }
    }
  }
  // Only objects that really belong to this VirtualMCPServer (same uid) count; anything else gets re-applied.
  const names = vmcpNames(vmcp.metadata.name);
  const mine = (obj: KubeObject | undefined): KubeObject | null =>
    obj?.metadata.ownerReferences?.some((o) => o.uid === vmcp.metadata.uid) ? obj : null;
  for (const kind of VMCP_OWNED_KINDS) {
    snapshot.owned[kind] = mine(caches.owned(kind, ns, kind === 'ConfigMap' ? names.configMap : names.name));
  }
  return snapshot;
}
