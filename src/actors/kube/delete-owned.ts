// The `deleteOwned` effect (the finalizer's work): deletes the proxy objects by name; one already gone counts as done.
import { fromPromise } from 'xstate';
import type { OwnedObjectRef } from '../../api/endpoint/proxy-objects.ts';
import type { DeleteOwnedInput } from '../../machines/endpoint-context.ts';
import { isNotFound, type KubeApi, objectPath, ownedResource } from './kube-api.ts';

export function deleteOwnedObjects(deps: { api: KubeApi }) {
  return fromPromise<void, DeleteOwnedInput>(async ({ input, signal }) => {
    for (const ref of input.refs) await deleteIgnoringMissing(deps.api, ref, signal);
  });
}

export async function deleteIgnoringMissing(api: KubeApi, ref: OwnedObjectRef, signal?: AbortSignal): Promise<void> {
  try {
    await api.request({
      method: 'DELETE',
      path: objectPath(ownedResource(ref.kind), ref.namespace, ref.name),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
      signal,
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
