// The VirtualMCPServer `applyObjects` effect: server-side apply of the gateway's objects under the operator's field
// manager, in the order given (ServiceAccount and RBAC first, then the config, then the Deployment and Service).
// Returns the objects as the API server stored them.
import { fromPromise } from 'xstate';
import type { KubeObject } from '../../api/endpoint/model.ts';
import type { VmcpApplyInput } from '../../machines/virtual-mcp-server.ts';
import { applyObject, type KubeApi } from './kube-api.ts';
import { vmcpOwnedResource } from './vmcp-resources.ts';

export function applyVmcpObjects(deps: { api: KubeApi }) {
  return fromPromise<KubeObject[], VmcpApplyInput>(async ({ input, signal }) => {
    const written: KubeObject[] = [];
    for (const manifest of input.apply) {
      const stored = await applyObject<KubeObject>(deps.api, vmcpOwnedResource(manifest.kind), manifest, signal);
      written.push({ ...stored, kind: manifest.kind });
    }
    return written;
  });
}
