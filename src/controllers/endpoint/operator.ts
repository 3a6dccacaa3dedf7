// The endpoint side of the operator on a manager of its own: the MCPRemoteEndpoint controller and the MCPGroup
// status controller. `mcpre up`, `mcpre sim --scripted` and tests that exercise only endpoints use it; `mcpre operator`
// starts every controller on one manager (src/controllers/operator.ts).
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { ProxySettings } from '../../api/endpoint/proxy-objects.ts';
import type { RetryPolicy } from '../../api/endpoint/retry.ts';
import type { RuntimeClock } from '../../runtime/clock.ts';
import type { KeyedQueue } from '../../runtime/kube/keyed-queue.ts';
import { type KubeHttp, logConnectionEvents } from '../../runtime/kube/kube-http.ts';
import type { KubeTarget } from '../../runtime/kube/kubeconfig.ts';
import { Manager } from '../../runtime/kube/manager.ts';
import type { ReferenceIndex } from '../../runtime/kube/reference-index.ts';
import type { Rng } from '../../runtime/random.ts';
import { startGroupStatusController } from '../group/controller.ts';
import { type EndpointStats, startEndpointController } from './controller.ts';
import type { EndpointRegistry } from './endpoint-registry.ts';
import type { Informers } from './informers.ts';

export { DEFAULT_PROXY_IMAGE } from './controller.ts';

export interface OperatorOptions {
  /** Where the API server is; not needed when `http` is given. */
  kubeconfig?: KubeTarget;
  /** The API transport; by default one undici pool built from `kubeconfig` (the simulator passes its in-memory one). */
  http?: KubeHttp;
  /** Timers and time for everything the operator schedules, actors included; the system clock by default. */
  clock?: RuntimeClock;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  logger: Logger;
  proxy?: Partial<ProxySettings>;
  /** Concurrent writes to the API server. */
  writeConcurrency?: number;
  /** Every this often, every endpoint and group is looked at again even without a change. */
  resyncMs?: number;
  retry?: RetryPolicy;
  rng?: Rng;
  /** Name reported on Events; defaults to $POD_NAME or the host name. */
  instance?: string;
  inspect?: (event: InspectionEvent) => void;
  watchInactivityMs?: number;
}

export interface OperatorStats extends EndpointStats {
  groupWrites: number;
}

export interface Operator {
  /** Resolves once every informer has synced and the first wake-ups went out. */
  ready: Promise<void>;
  manager: Manager;
  informers: Informers;
  registry: EndpointRegistry;
  index: ReferenceIndex;
  groups: KeyedQueue;
  stats: OperatorStats;
  /**
   * Stops taking work, lets work already started finish (bounded by `graceMs`; 0 stops at once, like a crash that
   * still closes connections), then stops the actors and the informers.
   */
  stop(graceMs?: number): Promise<void>;
}

export function startOperator(opts: OperatorOptions): Operator {
  const log = opts.logger;
  const manager = new Manager({
    http: opts.http,
    kubeconfig: opts.kubeconfig,
    namespace: opts.namespace,
    clock: opts.clock,
    rng: opts.rng,
    writes: { concurrency: opts.writeConcurrency },
    watchInactivityMs: opts.watchInactivityMs,
    log: (level, msg, fields) => log[level](fields ?? {}, msg),
    onConnectionEvent: logConnectionEvents(log),
  });
  const endpoints = startEndpointController(manager, opts);
  const groups = startGroupStatusController(manager, { logger: log, resyncMs: opts.resyncMs });
  const stats = endpoints.stats as OperatorStats;
  Object.defineProperty(stats, 'groupWrites', { get: () => groups.stats.writes, enumerable: true });
  void manager.start();
  return {
    ready: Promise.all([endpoints.ready, groups.ready]).then(() => undefined),
    manager,
    informers: endpoints.informers,
    registry: endpoints.registry,
    index: endpoints.index,
    groups: groups.queue,
    stats,
    stop: (graceMs) => manager.stop(graceMs),
  };
}
