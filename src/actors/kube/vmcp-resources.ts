// Resource paths the VirtualMCPServer controller and the gateway's status reporter use beyond the endpoint
// reconciler's (src/actors/kube/kube-api.ts `Resources`).
import { MCP_TOOL_CONFIG, VIRTUAL_MCP_SERVER } from '../../api/resources.ts';
import type { VmcpOwnedKind } from '../../api/vmcp/model.ts';
import { Resources, type ResourceType } from './kube-api.ts';

export const VmcpResources = {
  virtualMcpServer: VIRTUAL_MCP_SERVER,
  toolConfig: MCP_TOOL_CONFIG,
  role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role' },
  roleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding' },
} as const satisfies Record<string, ResourceType>;

export function vmcpOwnedResource(kind: VmcpOwnedKind): ResourceType {
  switch (kind) {
    case 'ServiceAccount':
      return Resources.serviceAccount;
    case 'Role':
      return VmcpResources.role;
    case 'RoleBinding':
      return VmcpResources.roleBinding;
    case 'ConfigMap':
      return Resources.configMap;
    case 'Deployment':
      return Resources.deployment;
    case 'Service':
      return Resources.service;
  }
}
