// The gateway's side of the status: reads its VirtualMCPServer and the group's endpoints, and writes backend session
// state with merge patches of only the gateway's own fields (status.backends, backendCount, backendsReportedBy on the
// VirtualMCPServer; status.session on each endpoint), so the operator's fields are never touched.

import type { Endpoint } from '../../api/endpoint/model.ts';
import type { MCPRemoteEndpointSessionStatus, VirtualMCPServerBackendStatus } from '../../api/generated/index.ts';
import type { VirtualMCPServer } from '../../api/vmcp/model.ts';
import { ContentType, collectionPath, type KubeApi, objectPath, Resources } from './kube-api.ts';
import { VmcpResources } from './vmcp-resources.ts';

export function readVirtualMcpServer(api: KubeApi, namespace: string, name: string): Promise<VirtualMCPServer> {
  return api.request<VirtualMCPServer>({
    method: 'GET',
    path: objectPath(VmcpResources.virtualMcpServer, namespace, name),
  });
}

/** The group's members (one list call; the gateway does not keep an informer for this). */
export async function listGroupEndpoints(api: KubeApi, namespace: string, group: string): Promise<Endpoint[]> {
  const list = await api.request<{ items: Endpoint[] }>({
    method: 'GET',
    path: collectionPath(Resources.endpoint, namespace),
  });
  return (list.items ?? []).filter((e) => e.spec?.groupRef === group);
}

export function writeVmcpBackends(
  api: KubeApi,
  namespace: string,
  name: string,
  status: { backends: VirtualMCPServerBackendStatus[]; backendCount: number; backendsReportedBy: string },
): Promise<unknown> {
  return api.request({
    method: 'PATCH',
    path: objectPath(VmcpResources.virtualMcpServer, namespace, name, 'status'),
    contentType: ContentType.mergePatch,
    body: { status },
  });
}

export function writeEndpointSession(
  api: KubeApi,
  namespace: string,
  name: string,
  session: MCPRemoteEndpointSessionStatus,
): Promise<unknown> {
  // The whole object replaces the previous one, so a cleared message or revision does not linger (merge patch merges
  // objects).
  return api.request({
    method: 'PATCH',
    path: objectPath(Resources.endpoint, namespace, name, 'status'),
    contentType: ContentType.mergePatch,
    body: { status: { session: { message: null, protocolVersion: null, ...session } } },
  });
}
