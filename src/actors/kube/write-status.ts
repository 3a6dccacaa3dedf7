// The `writeStatus` effect: a JSON merge patch of the endpoint's status subresource, carrying the resourceVersion the
// decision was made from as a precondition (a stale decision gets 409 and is re-made from fresh state). Only the
// operator's own fields are sent; status.session (written by gateways) is left alone. `url: null` removes the URL.
import { fromPromise } from 'xstate';
import type { Endpoint } from '../../api/endpoint-model.ts';
import type { WriteStatusInput } from '../../machines/endpoint.ts';
import type { EndpointCaches } from './caches.ts';
import { ContentType, type KubeApi, objectPath, Resources } from './kube-api.ts';

export function writeEndpointStatus(deps: { api: KubeApi; caches: EndpointCaches }) {
  return fromPromise<Endpoint | null, WriteStatusInput>(async ({ input, signal }) => {
    const { namespace, name } = input.key;
    const written = await deps.api.request<Endpoint>({
      method: 'PATCH',
      path: objectPath(Resources.endpoint, namespace, name, 'status'),
      contentType: ContentType.mergePatch,
      body: { metadata: { resourceVersion: input.resourceVersion }, status: input.status },
      signal,
    });
    deps.caches.offerEndpoint(written);
    return written;
  });
}
