// The `applyProxy` effect: server-side apply of the proxy's ServiceAccount, Deployment and Service under one field
// manager (so fields the operator stops setting are removed, and fields others own are kept), and deletion of
// objects the operator no longer needs.
import { fromPromise } from 'xstate';
import type { ApplyProxyInput } from '../../machines/endpoint-context.ts';
import { deleteIgnoringMissing } from './delete-owned.ts';
import { applyObject, type KubeApi, ownedResource } from './kube-api.ts';

export function applyProxyObjects(deps: { api: KubeApi }) {
  return fromPromise<void, ApplyProxyInput>(async ({ input, signal }) => {
    // ServiceAccount first: a Deployment naming a missing account would have its pods rejected.
    for (const manifest of input.apply) {
      await applyObject(deps.api, ownedResource(manifest.kind), manifest, signal);
    }
    for (const ref of input.remove) await deleteIgnoringMissing(deps.api, ref, signal);
  });
}
