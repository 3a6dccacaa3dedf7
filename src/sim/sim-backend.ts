// Simulated MCP backends behind the session machine's own port (BackendProtocol), on virtual time: sessions that the
// server drops (404 on the next request that carries the old id), notification streams that drop with and without
// event ids and send `retry` fields, failing and slow calls, and tool lists that change with list_changed. The
// backend also watches its clients: a request on a connection after that connection was told its session is gone,
// or two initializations in flight at once, is a violation.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { networkError } from '../actors/mcp/errors.ts';
import { legacyDecision, MODERN_VERSIONS, modernDecision } from '../machines/backend-session-era.ts';
import type { BackendProtocol, ProtocolEra } from '../machines/backend-session-protocol.ts';
import type { Rng } from '../runtime/random.ts';
import { checkWire, type WireRecord } from './era-invariants.ts';
import type { Violation } from './invariants.ts';
import type { SimScheduler } from './scheduler.ts';
import { SimConnection } from './sim-connection.ts';

/** What the simulation wants to hear from a backend's 2026-07-28 listen streams. */
export interface ListenObserver {
  broken(backend: string, retryMs?: number): void;
  attempted(backend: string): void;
}

export interface BackendFaults {
  connectFail: number;
  initFail: number;
  callFail: number;
  /** Mean virtual ms between "server restarted: every session gone". */
  sessionDropEveryMs: number;
  /** Notification streams drop after this long (range, ms). */
  streamLifeMs: [number, number];
  /** Probability a dropped stream first sends a `retry` field. */
  retryField: number;
  /** Probability the stream carries event ids (resumable). */
  eventIds: number;
  /** Mean virtual ms between tool-list changes. */
  listChangeEveryMs: number;
  latencyMs: [number, number];
}

export const BACKEND_FAULTS: Record<string, BackendFaults> = {
  none: {
    connectFail: 0,
    initFail: 0,
    callFail: 0,
    sessionDropEveryMs: Number.POSITIVE_INFINITY,
    streamLifeMs: [3_600_000, 3_600_000],
    retryField: 0,
    eventIds: 1,
    listChangeEveryMs: 600_000,
    latencyMs: [1, 5],
  },
  default: {
    connectFail: 0.05,
    initFail: 0.05,
    callFail: 0.02,
    sessionDropEveryMs: 900_000,
    streamLifeMs: [30_000, 300_000],
    retryField: 0.3,
    eventIds: 0.7,
    listChangeEveryMs: 300_000,
    latencyMs: [2, 200],
  },
  harsh: {
    connectFail: 0.3,
    initFail: 0.2,
    callFail: 0.1,
    sessionDropEveryMs: 120_000,
    streamLifeMs: [5_000, 60_000],
    retryField: 0.5,
    eventIds: 0.5,
    listChangeEveryMs: 60_000,
    latencyMs: [2, 2000],
  },
};

export class SimBackend {
  readonly name: string;
  tools: Tool[];
  #version = 0;
  readonly #alive = new Set<string>();
  #sessionSeq = 0;
  #initializing = 0;
  /** Connections with an open stream, and how to break each (a restart ends 2026 listen streams). */
  readonly #streams = new Map<SimConnection, (() => void) | undefined>();
  readonly sched: SimScheduler;
  readonly rng: Rng;
  faults: BackendFaults;
  /** The era this backend speaks: 2025-era sessions, or stateless 2026-07-28. */
  readonly era: ProtocolEra;
  readonly #listen: ListenObserver | undefined;
  readonly violations: Violation[] = [];
  readonly stats = {
    initializations: 0,
    sessionDrops: 0,
    listChanges: 0,
    requests: 0,
    sessionLost: 0,
    listenBreaks: 0,
  };

  constructor(
    name: string,
    sched: SimScheduler,
    rng: Rng,
    faults: BackendFaults,
    options: { era?: ProtocolEra; listen?: ListenObserver } = {},
  ) {
    this.name = name;
    this.sched = sched;
    this.rng = rng;
    this.faults = faults;
    this.era = options.era ?? 'legacy';
    this.#listen = options.listen;
    this.tools = this.#makeTools();
    this.#scheduleDrop();
    this.#scheduleListChange();
  }

  latency(): number {
    const [lo, hi] = this.faults.latencyMs;
    return lo + Math.floor(this.rng.next() * (hi - lo + 1));
  }

  #exp(mean: number): number {
    return Number.isFinite(mean)
      ? Math.max(1000, Math.round(-Math.log(1 - this.rng.next()) * mean))
      : Number.POSITIVE_INFINITY;
  }

  #makeTools(): Tool[] {
    const n = 2 + (this.#version % 3);
    return Array.from({ length: n }, (_, i) => ({
      name: `tool${i}`,
      description: `${this.name} tool ${i} v${this.#version}`,
      inputSchema: { type: 'object' as const },
    }));
  }

  #scheduleDrop(): void {
    const wait = this.#exp(this.faults.sessionDropEveryMs);
    if (!Number.isFinite(wait)) return;
    this.sched.schedule(`backend.${this.name}.drop`, wait, () => {
      if (this.#alive.size) this.stats.sessionDrops += 1;
      this.#alive.clear();
      if (this.era === 'modern') for (const kill of [...this.#streams.values()]) kill?.();
      this.#scheduleDrop();
    });
  }

  #scheduleListChange(): void {
    this.sched.schedule(`backend.${this.name}.listChange`, this.#exp(this.faults.listChangeEveryMs), () => {
      this.#version += 1;
      this.tools = this.#makeTools();
      this.stats.listChanges += 1;
      for (const c of this.#streams.keys())
        c.emit({ type: 'notification', method: 'notifications/tools/list_changed' });
      this.#scheduleListChange();
    });
  }

  isAlive(sessionId: string | undefined): boolean {
    return sessionId !== undefined && this.#alive.has(sessionId);
  }

  beginInitialize(): void {
    this.#initializing += 1;
    if (this.#initializing > 1) {
      this.violations.push({
        invariant: 'oneInitializePerBackend',
        detail: `${this.name}: ${this.#initializing} initializations in flight`,
      });
    }
  }

  endInitialize(ok: boolean): string | undefined {
    this.#initializing -= 1;
    if (!ok) return undefined;
    this.stats.initializations += 1;
    const id = `${this.name}-s${++this.#sessionSeq}`;
    this.#alive.add(id);
    return id;
  }

  endSession(id: string | undefined): void {
    if (id) this.#alive.delete(id);
  }

  streamOpened(c: SimConnection, kill?: () => void): void {
    this.#streams.set(c, kill);
  }

  /** A request as it arrived: checked at once against what a 2026 backend must never be sent. */
  received(record: WireRecord): void {
    this.violations.push(...checkWire(record));
  }

  listenAttempted(): void {
    this.#listen?.attempted(this.name);
  }

  listenBroken(retryMs?: number): void {
    this.stats.listenBreaks += 1;
    this.#listen?.broken(this.name, retryMs);
  }

  streamClosed(c: SimConnection): void {
    this.#streams.delete(c);
  }

  protocol(): BackendProtocol {
    return {
      transport: 'streamable-http',
      // With a cached era the connection speaks it; without one the probe finds the backend's (server/discover).
      connect: (_signal, cached) =>
        this.sched.after(`backend.${this.name}.connect`, this.latency(), () => {
          if (this.rng.next() < this.faults.connectFail)
            throw networkError(new Error('ECONNREFUSED (simulated)'), 'connect');
          const found =
            this.era === 'modern'
              ? modernDecision(MODERN_VERSIONS[0] ?? '2026-07-28', 'server/discover answered (simulated)')
              : legacyDecision('server/discover: method not found (simulated)');
          return new SimConnection(this, cached ?? found);
        }),
    };
  }
}
