// Everything one reconcile of a VirtualMCPServer looks at, read from the informer caches in one go: the object, its
// group, the group's endpoints and every object those endpoints (and the aggregation settings) reference, and the
// objects the operator owns for it. The chart decides from this value alone.
import { isDeepStrictEqual } from 'node:util';
import type { ConfigMap, Endpoint, ExternalAuthConfig, Group, KubeObject, SecretKeys } from '../endpoint/model.ts';
import { objectKey } from '../endpoint/references.ts';
import { telemetrySecretRefs } from '../telemetry-env.ts';
import { discoveryMode, type ToolConfig, type VirtualMCPServer, type VmcpOwnedKind } from './model.ts';
import { sessionStorageConfigMapName, sessionStorageSecretNames } from './session-storage.ts';

export interface VmcpSnapshot {
  /** RFC 3339, from the injected clock: stamped on flipped conditions. */
  now: string;
  vmcp: VirtualMCPServer | null;
  group: Group | null;
  /** The group's members (spec.groupRef), sorted by name. */
  endpoints: Endpoint[];
  /** Referenced objects by name; null when missing. Secrets as key names only, never values. */
  authConfigs: Record<string, ExternalAuthConfig | null>;
  toolConfigs: Record<string, ToolConfig | null>;
  configMaps: Record<string, ConfigMap | null>;
  secrets: Record<string, SecretKeys | null>;
  owned: Record<VmcpOwnedKind, KubeObject | null>;
}

export function emptyOwned(): Record<VmcpOwnedKind, KubeObject | null> {
  return { ServiceAccount: null, Role: null, RoleBinding: null, ConfigMap: null, Deployment: null, Service: null };
}

export function emptyVmcpSnapshot(now: string, vmcp: VirtualMCPServer | null = null): VmcpSnapshot {
  return {
    now,
    vmcp,
    group: null,
    endpoints: [],
    authConfigs: {},
    toolConfigs: {},
    configMaps: {},
    secrets: {},
    owned: emptyOwned(),
  };
}

/** What a VirtualMCPServer's reconcile reads by name, so a change to any of them wakes it. */
export type VmcpRefKind = 'MCPGroup' | 'MCPExternalAuthConfig' | 'MCPToolConfig' | 'ConfigMap' | 'Secret';

export function vmcpRefKey(kind: VmcpRefKind, namespace: string, name: string): string {
  return `${kind}:${objectKey(namespace, name)}`;
}

/**
 * The Secrets the VirtualMCPServer's own spec names (session store password and client certificate, OTLP headers), in
 * either mode.
 */
export function vmcpOwnSecretNames(vmcp: VirtualMCPServer): string[] {
  return [...sessionStorageSecretNames(vmcp), ...telemetrySecretRefs(vmcp.spec.telemetry).map((r) => r.name)];
}

/**
 * The references of one reconcile, as ref keys (sorted, unique): the group (which also stands for "any member
 * joined, left or changed"), the Secrets and the CA ConfigMap the spec itself names, and in inline mode everything
 * the members, their auth configs and the tool settings point at.
 */
export function vmcpReferences(snapshot: VmcpSnapshot): string[] {
  const vmcp = snapshot.vmcp;
  if (!vmcp) return [];
  const ns = vmcp.metadata.namespace ?? '';
  const refs = new Set<string>([vmcpRefKey('MCPGroup', ns, vmcp.spec.groupRef)]);
  for (const t of vmcp.spec.aggregation?.tools ?? []) {
    if (t.toolConfigRef?.name) refs.add(vmcpRefKey('MCPToolConfig', ns, t.toolConfigRef.name));
  }
  for (const s of vmcpOwnSecretNames(vmcp)) refs.add(vmcpRefKey('Secret', ns, s));
  const ca = sessionStorageConfigMapName(vmcp);
  if (ca) refs.add(vmcpRefKey('ConfigMap', ns, ca));
  if (discoveryMode(vmcp) === 'inline') {
    for (const e of snapshot.endpoints) {
      const spec = e.spec;
      const authName = spec.externalAuthConfigRef?.name;
      if (authName) {
        refs.add(vmcpRefKey('MCPExternalAuthConfig', ns, authName));
        const secret = authSecretRef(snapshot.authConfigs[authName] ?? null);
        if (secret) refs.add(vmcpRefKey('Secret', ns, secret.name));
      }
      if (spec.toolConfigRef?.name) refs.add(vmcpRefKey('MCPToolConfig', ns, spec.toolConfigRef.name));
      if (spec.caBundleRef?.name) refs.add(vmcpRefKey('ConfigMap', ns, spec.caBundleRef.name));
      for (const h of spec.headerForward?.addHeadersFromSecret ?? []) {
        if (h.valueSecretRef?.name) refs.add(vmcpRefKey('Secret', ns, h.valueSecretRef.name));
      }
    }
  }
  return [...refs].sort();
}

/** The Secret key an outgoing-auth config needs at runtime, if any. */
export function authSecretRef(auth: ExternalAuthConfig | null): { name: string; key: string } | undefined {
  if (auth?.spec.type === 'headerInjection') return auth.spec.headerInjection?.valueSecretRef;
  if (auth?.spec.type === 'tokenExchange') return auth.spec.tokenExchange?.clientSecretRef;
  return undefined;
}

/**
 * Whether a member's change can alter a plan of its group's VirtualMCPServers: the plan reads a member's name, its
 * deletion, its spec, its status.url and whether its phase is Failed (src/api/vmcp/backends.ts, config.ts), and
 * nothing else of its status, so the endpoint controller's condition and probe writes and the gateway's session
 * reports wake no VirtualMCPServer.
 */
export function memberChangeMatters(old: Endpoint | undefined, now: Endpoint): boolean {
  if (!old) return true;
  return (
    old.metadata.name !== now.metadata.name ||
    old.metadata.deletionTimestamp !== now.metadata.deletionTimestamp ||
    (old.status?.url ?? '') !== (now.status?.url ?? '') ||
    (old.status?.phase === 'Failed') !== (now.status?.phase === 'Failed') ||
    !isDeepStrictEqual(old.spec, now.spec)
  );
}

/**
 * Whether a change to the VirtualMCPServer itself can alter its plan or its status write: everything but
 * resourceVersion and the status fields the operator does not own (status.backends, which the gateway reports).
 */
export function vmcpChangeMatters(old: VirtualMCPServer | undefined, now: VirtualMCPServer): boolean {
  if (!old) return true;
  return !isDeepStrictEqual(planInputs(old), planInputs(now));
}

function planInputs(v: VirtualMCPServer) {
  const { resourceVersion: _, ...metadata } = v.metadata;
  const s = v.status;
  return {
    metadata,
    spec: v.spec,
    status: [s?.phase, s?.url, s?.observedGeneration, s?.conditions],
  };
}
