// Builders for VirtualMCPServer snapshots: plain objects shaped as they arrive over the wire.
import type { ConfigMap, Endpoint, ExternalAuthConfig, Group, SecretKeys } from '../../../src/api/endpoint/model.ts';
import type { ToolConfig, VirtualMCPServer } from '../../../src/api/vmcp/model.ts';
import { emptyVmcpSnapshot, type VmcpSnapshot } from '../../../src/api/vmcp/snapshot.ts';

export const NS = 'team-a';
export const NOW = '2026-11-25T12:00:00Z';
export const GV = 'toolhive.stacklok.dev/v1alpha1';

export const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIQIRi6zePL6mKjOipn+dNuaTAKBggqhkjOPQQDAjASMRAw
DgYDVQQKEwdBY21lIENvMB4XDTE3MTAyMDE5NDMwNloXDTE4MTAyMDE5NDMwNlow
EjEQMA4GA1UEChMHQWNtZSBDbzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABD0d
7VNhbWvZLWPuj/RtHFjvtJBEwOkhbN/BnnE8rnZR8+sbwnc/KhCk3FhnpHZnQz7B
5aETbbIgmuvewdjvSBSjYzBhMA4GA1UdDwEB/wQEAwICpDATBgNVHSUEDDAKBggr
BgEFBQcDATAPBgNVHRMBAf8EBTADAQH/MCkGA1UdEQQiMCCCDmxvY2FsaG9zdDo1
NDUzgg4xMjcuMC4wLjE6NTQ1MzAKBggqhkjOPQQDAgNIADBFAiEA2zpJEPQyz6/l
Wf86aX6PepsntZv2GYlA5UpabfT2EZICICpJ5h/iI+i341gBmLiAFQOyTDT+/wQc
6MF9+Yw1Yy0t
-----END CERTIFICATE-----
`;

export function vmcp(name: string, spec: Partial<VirtualMCPServer['spec']> = {}, extra = {}): VirtualMCPServer {
  return {
    apiVersion: GV,
    kind: 'VirtualMCPServer',
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1, resourceVersion: '10' },
    spec: { groupRef: 'team', ...spec },
    ...extra,
  };
}

export function direct(name: string, spec: Partial<Endpoint['spec']> = {}, url?: string): Endpoint {
  const remoteURL = spec.remoteURL ?? `https://${name}.example.com/mcp`;
  return {
    apiVersion: GV,
    kind: 'MCPRemoteEndpoint',
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1 },
    spec: { type: 'direct', remoteURL, transport: 'streamable-http', groupRef: 'team', ...spec },
    status: { phase: 'Ready', url: url ?? remoteURL },
  };
}

export function proxy(name: string, url: string | undefined, spec: Partial<Endpoint['spec']> = {}): Endpoint {
  return {
    apiVersion: GV,
    kind: 'MCPRemoteEndpoint',
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1 },
    spec: {
      type: 'proxy',
      remoteURL: `https://${name}.example.com/mcp`,
      transport: 'sse',
      groupRef: 'team',
      proxyConfig: { oidcConfig: { type: 'kubernetes' } },
      ...spec,
    },
    status: url ? { phase: 'Ready', url } : { phase: 'Pending' },
  };
}

export const group = (name = 'team'): Group => ({ metadata: { name, namespace: NS, generation: 1 } });
export const secret = (name: string, keys: string[]): SecretKeys => ({ metadata: { name, namespace: NS }, keys });
export const configMap = (name: string, data: Record<string, string>): ConfigMap => ({
  metadata: { name, namespace: NS },
  data,
});
export const toolConfig = (name: string, spec: ToolConfig['spec']): ToolConfig => ({
  metadata: { name, namespace: NS },
  spec,
});
export const authConfig = (name: string, spec: ExternalAuthConfig['spec']): ExternalAuthConfig => ({
  metadata: { name, namespace: NS },
  spec,
});

/** A snapshot with the group present and everything listed in `refs` resolvable. */
export function snapshot(
  v: VirtualMCPServer,
  endpoints: Endpoint[],
  refs: {
    secrets?: SecretKeys[];
    configMaps?: ConfigMap[];
    toolConfigs?: ToolConfig[];
    authConfigs?: ExternalAuthConfig[];
    group?: Group | null;
  } = {},
): VmcpSnapshot {
  const s = emptyVmcpSnapshot(NOW, v);
  s.group = refs.group === undefined ? group() : refs.group;
  s.endpoints = endpoints;
  const byName = <T extends { metadata: { name: string } }>(list: T[] | undefined) =>
    Object.fromEntries((list ?? []).map((o) => [o.metadata.name, o]));
  // Everything the members reference is looked up, missing ones as null (as the observe actor records them).
  for (const e of endpoints) {
    for (const h of e.spec.headerForward?.addHeadersFromSecret ?? []) s.secrets[h.valueSecretRef.name] = null;
    if (e.spec.caBundleRef) s.configMaps[e.spec.caBundleRef.name] = null;
    if (e.spec.toolConfigRef) s.toolConfigs[e.spec.toolConfigRef.name] = null;
    if (e.spec.externalAuthConfigRef) s.authConfigs[e.spec.externalAuthConfigRef.name] = null;
  }
  Object.assign(s.secrets, byName(refs.secrets));
  Object.assign(s.configMaps, byName(refs.configMaps));
  Object.assign(s.toolConfigs, byName(refs.toolConfigs));
  Object.assign(s.authConfigs, byName(refs.authConfigs));
  return s;
}
