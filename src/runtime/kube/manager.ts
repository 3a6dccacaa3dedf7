// One controller manager per operator process (the shape of controller-runtime's Manager and kube-runtime's shared
// reflectors): one API transport, one set of informers that every controller reads, one write queue with a
// concurrency and a rate limit, one clock and one seeded Rng. Controllers are started on it the same way (see
// controller.ts): they declare the kinds they watch, route each change to the keys it concerns, and hand their
// workers (a keyed actor registry, a keyed queue) to the manager, which stops everything in one order:
//   1. stop taking work: no change, wake-up or resync reaches a controller any more;
//   2. drain: wait (bounded by the grace period, on the injected clock) until every worker is quiet and every write
//      that was queued has been answered;
//   3. stop the workers (actors, keyed queues) and drop the writes still waiting;
//   4. stop the informers, then close the transport if the manager opened it.
import type { KubeApi, KubeRequest } from '../../actors/kube/kube-api.ts';
import type { KubeObject } from '../../api/endpoint/model.ts';
import { type RuntimeClock, sleepOn, systemClock } from '../clock.ts';
import { type Rng, systemRng } from '../random.ts';
import { type ControllerSpec, type RunningController, startController } from './controller.ts';
import { createKubeHttp, type KubeConnectionEvent, type KubeHttp } from './kube-http.ts';
import type { KubeTarget } from './kubeconfig.ts';
import type { ReflectorOptions } from './reflector.ts';
import { SharedInformers } from './shared-informers.ts';
import { queuedWrites, type WriteLimits, type WriteQueue } from './write-queue.ts';

export interface ManagerOptions {
  /** The API transport (the simulator's in-memory one, or one the process shares with its leader election). */
  http?: KubeHttp;
  /** Where the API server is, when the manager opens the transport itself. */
  kubeconfig?: KubeTarget;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  clock?: RuntimeClock;
  rng?: Rng;
  writes?: Partial<WriteLimits>;
  watchInactivityMs?: number;
  log?: ReflectorOptions<KubeObject>['log'];
  onConnectionEvent?: (event: KubeConnectionEvent) => void;
}

/** Writes in flight at once when not configured; the transport's pool gets at least as many connections. */
export const DEFAULT_WRITE_CONCURRENCY = 32;

export class Manager {
  readonly http: KubeHttp;
  readonly clock: RuntimeClock;
  readonly rng: Rng;
  readonly namespace: string | undefined;
  readonly informers: SharedInformers;
  readonly writes: WriteQueue;
  private readonly ownsHttp: boolean;
  private readonly controllers: RunningController[] = [];
  private readonly sendListeners: ((req: KubeRequest) => void)[] = [];
  private startedResolve!: () => void;
  /** Resolves when start() is called: controllers wait for it before waiting for their caches. */
  readonly started: Promise<void> = new Promise((resolve) => {
    this.startedResolve = resolve;
  });
  private stopping: Promise<void> | undefined;

  constructor(opts: ManagerOptions) {
    if (!opts.http && !opts.kubeconfig) throw new Error('the controller manager needs a kubeconfig or a transport');
    const concurrency = opts.writes?.concurrency ?? DEFAULT_WRITE_CONCURRENCY;
    this.ownsHttp = !opts.http;
    this.http =
      opts.http ??
      createKubeHttp(opts.kubeconfig as KubeTarget, {
        connections: Math.max(8, concurrency),
        onConnectionEvent: opts.onConnectionEvent,
      });
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng();
    this.namespace = opts.namespace;
    this.informers = new SharedInformers({
      api: this.http,
      namespace: opts.namespace,
      rng: this.rng,
      clock: this.clock,
      log: opts.log,
      inactivityMs: opts.watchInactivityMs,
    });
    // Listeners hear of a write when it leaves the queue for the API server, not when it is queued.
    const sending: KubeApi = {
      request: (req) => {
        for (const l of this.sendListeners) l(req);
        return this.http.request(req);
      },
    };
    this.writes = queuedWrites(sending, { concurrency, perSecond: opts.writes?.perSecond });
  }

  /** Tells `listener` of every request sent through the write queue (reads included), as it goes out. */
  onSend(listener: (req: KubeRequest) => void): void {
    this.sendListeners.push(listener);
  }

  /** Starts a controller: its informers are created (or shared) now; it reconciles once they have synced. */
  controller<N extends string>(spec: ControllerSpec<N>): RunningController<N> {
    if (this.stopping) throw new Error(`controller ${spec.name} started on a stopped manager`);
    const c = startController(this, spec);
    this.controllers.push(c as RunningController);
    return c;
  }

  /** Starts every informer; resolves once all of them have synced. */
  async start(): Promise<void> {
    this.startedResolve();
    await this.informers.start();
  }

  /** True when no controller has work in flight and no write is queued or running. */
  quiet(): boolean {
    return this.controllers.every((c) => c.quiet()) && this.writes.queue.size === 0 && this.writes.queue.pending === 0;
  }

  /** The shutdown order above; `graceMs` bounds the drain (0 stops at once, like a crash that still closes sockets). */
  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      for (const c of this.controllers) c.stopTakingWork();
      const deadline = this.clock.now() + graceMs;
      while (this.clock.now() < deadline && !this.quiet()) await sleepOn(this.clock, 20);
      for (const c of this.controllers) c.stopWorkers();
      this.writes.queue.clear();
      await this.informers.stop();
      if (this.ownsHttp) await this.http.close();
    })();
    return this.stopping;
  }
}
