// The operator's Prometheus registry: its own (never the global one, so tests and `mcpre up` can run several), with
// the actor series (src/runtime/metrics/actor-metrics.ts), whether this replica leads, whether its caches have
// synced, and the depth of its work queues, read at scrape time from whoever owns them.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { ActorMetrics } from './actor-metrics.ts';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly actors: ActorMetrics;
  readonly leader: Gauge;
  readonly becameLeader: Counter;
  readonly informersSynced: Gauge<'controller'>;
  readonly queueDepth: Gauge<'queue'>;
  readonly deprecationWarnings: Counter<'kind'>;
  readonly #queues = new Map<string, () => number>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'mcpre_operator_' });
    this.actors = new ActorMetrics(this.registry);
    this.leader = new Gauge({
      name: 'mcpre_operator_leader',
      help: '1 while this replica holds the operator Lease and reconciles (or runs without leader election), else 0.',
      registers,
    });
    this.becameLeader = new Counter({
      name: 'mcpre_operator_leader_acquisitions_total',
      help: 'Times this replica acquired the operator Lease.',
      registers,
    });
    this.informersSynced = new Gauge({
      name: 'mcpre_operator_informers_synced',
      help: '1 once every informer of a controller has listed its resource (reconciling starts then), else 0.',
      labelNames: ['controller'] as const,
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'mcpre_operator_queue_depth',
      help: 'Work waiting or in progress, by queue: endpoint and VirtualMCPServer actors mid-pass, group status keys.',
      labelNames: ['queue'] as const,
      registers,
      collect: () => {
        for (const [queue, depth] of this.#queues) this.queueDepth.set({ queue }, depth());
      },
    });
    this.deprecationWarnings = new Counter({
      name: 'mcpre_deprecation_warnings_total',
      help: 'Deprecation Warning events recorded (or their series bumped) on ToolHive objects, by kind.',
      labelNames: ['kind'] as const,
      registers,
    });
    this.leader.set(0);
  }

  /** Reports a queue's depth at every scrape. */
  watchQueue(queue: string, depth: () => number): void {
    this.#queues.set(queue, depth);
  }
}
