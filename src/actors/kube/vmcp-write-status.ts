// The VirtualMCPServer `writeStatus` effect: a JSON merge patch of the operator's status fields (phase, url,
// observedGeneration, conditions) through the status subresource, with the resourceVersion the decision was made
// from as a precondition. The gateway's fields (backends, backendCount, backendsReportedBy) are not in the patch and
// so are left as the gateway wrote them.
import { fromPromise } from 'xstate';
import type { VirtualMCPServer } from '../../api/vmcp/model.ts';
import type { VmcpWriteStatusInput } from '../../machines/virtual-mcp-server.ts';
import type { KubeApi } from './kube-api.ts';
import { patchStatus } from './patch-status.ts';
import type { VmcpCaches } from './vmcp-caches.ts';
import { VmcpResources } from './vmcp-resources.ts';

export function writeVmcpStatus(deps: { api: KubeApi; caches: VmcpCaches }) {
  return fromPromise<VirtualMCPServer | null, VmcpWriteStatusInput>(async ({ input, signal }) => {
    const written = await patchStatus<VirtualMCPServer>(deps.api, VmcpResources.virtualMcpServer, input, signal);
    deps.caches.offerVmcp(written);
    return written;
  });
}
