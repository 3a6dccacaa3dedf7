// The `writeStatus` effect: a JSON merge patch of the endpoint's status subresource, carrying the resourceVersion the
// decision was made from as a precondition (a stale decision gets 409 and is re-made from fresh state). Only the
// operator's own fields are sent; status.session (written by gateways) is left alone. `url: null` removes the URL.
import { fromPromise } from 'xstate';
import type { Endpoint } from '../../api/endpoint/model.ts';
import type { WriteStatusInput } from '../../machines/endpoint-context.ts';
import type { EndpointCaches } from './caches.ts';
import { type KubeApi, Resources } from './kube-api.ts';
import { patchStatus } from './patch-status.ts';

export function writeEndpointStatus(deps: { api: KubeApi; caches: EndpointCaches }) {
  return fromPromise<Endpoint | null, WriteStatusInput>(async ({ input, signal }) => {
    const written = await patchStatus<Endpoint>(deps.api, Resources.endpoint, input, signal);
    deps.caches.offerEndpoint(written);
    return written;
  });
}
