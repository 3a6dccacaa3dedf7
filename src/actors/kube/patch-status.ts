// A JSON merge patch of an object's status subresource: only the fields in `status` are touched (other writers'
// fields stay), and a resourceVersion, when given, makes the write conditional (a stale decision gets 409).
import type { KubeObject } from '../../api/endpoint/model.ts';
import { ContentType, type KubeApi, objectPath, type ResourceType } from './kube-api.ts';

export interface StatusPatch {
  key: { namespace: string; name: string };
  /** The resourceVersion the status was decided from: the precondition of the write. */
  resourceVersion: string | undefined;
  status: unknown;
}

/** Patches the status and answers with the object as stored. */
export function patchStatus<T extends KubeObject>(
  api: KubeApi,
  resource: ResourceType,
  patch: StatusPatch,
  signal?: AbortSignal,
): Promise<T> {
  const { namespace, name } = patch.key;
  return api.request<T>({
    method: 'PATCH',
    path: objectPath(resource, namespace, name, 'status'),
    contentType: ContentType.mergePatch,
    body: { metadata: { resourceVersion: patch.resourceVersion }, status: patch.status },
    signal,
  });
}
