// The VirtualMCPServer `applyObjects` effect: server-side apply of the gateway's objects under the operator's field
// manager, in the order given (ServiceAccount and RBAC first, then the config, then the Deployment and Service).
// Returns the objects as the API server stored them.
import { fromPromise } from 'xstate';
import type { KubeObject } from '../../api/endpoint/model.ts';
import type { VmcpApplyInput } from '../../machines/virtual-mcp-server.ts';
import { FIELD_MANAGER } from './apply-proxy.ts';
import { ContentType, type KubeApi, objectPath } from './kube-api.ts';
import { vmcpOwnedResource } from './vmcp-resources.ts';

export function applyVmcpObjects(deps: { api: KubeApi }) {
  return fromPromise<KubeObject[], VmcpApplyInput>(async ({ input, signal }) => {
    const written: KubeObject[] = [];
    for (const manifest of input.apply) {
      const stored = await deps.api.request<KubeObject>({
        method: 'PATCH',
        path: objectPath(vmcpOwnedResource(manifest.kind), manifest.metadata.namespace ?? '', manifest.metadata.name),
        query: { fieldManager: FIELD_MANAGER, force: true },
        contentType: ContentType.apply,
        body: manifest,
        signal,
      });
      written.push({ ...stored, kind: manifest.kind });
    }
    return written;
  });
}
