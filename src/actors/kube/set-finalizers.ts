// The `setFinalizers` effect: replaces metadata.finalizers with the list the machine computed (ours added or removed,
// everyone else's kept), with the resourceVersion as a precondition so a concurrent change is never overwritten.
import { fromPromise } from 'xstate';
import type { Endpoint } from '../../api/endpoint/model.ts';
import type { SetFinalizersInput } from '../../machines/endpoint-context.ts';
import type { EndpointCaches } from './caches.ts';
import { ContentType, type KubeApi, objectPath, Resources } from './kube-api.ts';

export function setEndpointFinalizers(deps: { api: KubeApi; caches: EndpointCaches }) {
  return fromPromise<Endpoint | null, SetFinalizersInput>(async ({ input, signal }) => {
    const { namespace, name } = input.key;
    const written = await deps.api.request<Endpoint>({
      method: 'PATCH',
      path: objectPath(Resources.endpoint, namespace, name),
      contentType: ContentType.mergePatch,
      body: { metadata: { resourceVersion: input.resourceVersion, finalizers: input.finalizers } },
      signal,
    });
    // Removing the last finalizer of a deleted object removes the object: the answer is its final state.
    if (written.metadata.deletionTimestamp && (written.metadata.finalizers ?? []).length === 0) return null;
    deps.caches.offerEndpoint(written);
    return written;
  });
}
