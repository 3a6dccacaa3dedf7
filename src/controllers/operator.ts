// Every controller of `mcpre operator` on one manager: MCPRemoteEndpoint, MCPGroup status, VirtualMCPServer and the
// ToolHive deprecation warnings. The process (src/controllers/endpoint/run.ts) and the simulator start them here, so
// what the simulator runs is what a pod runs.
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { RetryPolicy } from '../api/endpoint/retry.ts';
import type { Manager } from '../runtime/kube/manager.ts';
import { type DeprecationController, startDeprecationController } from './deprecation/deprecation-controller.ts';
import { type EndpointController, startEndpointController } from './endpoint/controller.ts';
import { type GroupStatusController, startGroupStatusController } from './group/controller.ts';
import { type VmcpReconciler, vmcpController } from './vmcp/controller.ts';

export interface OperatorControllersOptions {
  logger: Logger;
  /** The proxy and gateway image (one mcpre image serves both). */
  image: string;
  /** Name reported on Events. */
  instance: string;
  resyncMs: number;
  retry?: RetryPolicy;
  inspect?: (event: InspectionEvent) => void;
  /** Told after every recorded deprecation warning (metrics). */
  onDeprecationRecorded?: (kind: string) => void;
  discoveryRetryMs?: number;
  /** Endpoints reconciled at once up to their status write (EndpointControllerOptions.maxBusy); unset: no limit. */
  maxBusyEndpoints?: number;
}

export interface OperatorControllers {
  endpoints: EndpointController;
  groups: GroupStatusController;
  vmcps: VmcpReconciler;
  deprecation: DeprecationController;
}

export function startOperatorControllers(manager: Manager, opts: OperatorControllersOptions): OperatorControllers {
  const { logger, resyncMs, retry, inspect } = opts;
  return {
    endpoints: startEndpointController(manager, {
      logger,
      proxy: { image: opts.image },
      resyncMs,
      retry,
      instance: opts.instance,
      inspect,
      maxBusy: opts.maxBusyEndpoints,
    }),
    groups: startGroupStatusController(manager, { logger, resyncMs }),
    vmcps: vmcpController(manager, { logger, settings: { image: opts.image }, resyncMs, retry, inspect }),
    deprecation: startDeprecationController(manager, {
      logger,
      instance: opts.instance,
      resyncMs,
      discoveryRetryMs: opts.discoveryRetryMs,
      onRecorded: opts.onDeprecationRecorded,
    }),
  };
}
