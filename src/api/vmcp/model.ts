// The shapes the VirtualMCPServer reconciler reads, as they arrive over the wire. Spec and status come from the
// generated CRD types; metadata and the core kinds reuse the endpoint reconciler's wire types.
import type { KubeObject } from '../endpoint/model.ts';
import type { MCPToolConfigSpec, VirtualMCPServerSpec, VirtualMCPServerStatus } from '../generated/index.ts';

export interface VirtualMCPServer extends KubeObject {
  spec: VirtualMCPServerSpec;
  status?: VirtualMCPServerStatus;
}

export interface ToolConfig extends KubeObject {
  spec?: MCPToolConfigSpec;
}

/** Every kind of object the operator creates for one VirtualMCPServer. */
export const VMCP_OWNED_KINDS = [
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ConfigMap',
  'Deployment',
  'Service',
] as const;
export type VmcpOwnedKind = (typeof VMCP_OWNED_KINDS)[number];

/** Discovery mode: inline (the operator writes the backends) unless the spec asks the gateway to discover them. */
export function discoveryMode(vmcp: VirtualMCPServer): 'inline' | 'discovered' {
  return vmcp.spec.outgoingAuth?.source === 'discovered' ? 'discovered' : 'inline';
}
