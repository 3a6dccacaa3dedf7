// Writes an MCPGroup's membership status (RFC: remoteEndpoints, sorted, and remoteEndpointCount) with a merge patch
// of only those fields plus phase and observedGeneration, so other writers' status fields are left alone.
import type { Group } from '../../api/endpoint/model.ts';
import { ContentType, type KubeApi, objectPath, Resources } from './kube-api.ts';

export interface GroupMembership {
  remoteEndpoints: string[];
  remoteEndpointCount: number;
}

export async function writeGroupMembership(
  api: KubeApi,
  group: Group,
  membership: GroupMembership,
  signal?: AbortSignal,
): Promise<Group> {
  return api.request<Group>({
    method: 'PATCH',
    path: objectPath(Resources.group, group.metadata.namespace ?? '', group.metadata.name, 'status'),
    contentType: ContentType.mergePatch,
    body: {
      status: {
        phase: 'Ready',
        observedGeneration: group.metadata.generation ?? 0,
        remoteEndpoints: membership.remoteEndpoints,
        remoteEndpointCount: membership.remoteEndpointCount,
      },
    },
    signal,
  });
}
