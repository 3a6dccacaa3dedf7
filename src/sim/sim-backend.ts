// Simulated MCP backends behind the session machine's own port (BackendProtocol), on virtual time: sessions that the
// server drops (404 on the next request that carries the old id), notification streams that drop with and without
// event ids and send `retry` fields, failing and slow calls, and tool lists that change with list_changed. The
// backend also watches its clients: a request on a connection after that connection was told its session is gone,
// or two initializations in flight at once, is a violation.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { httpError, networkError, sessionLostError } from '../actors/mcp/errors.ts';
import type {
  BackendConnection,
  BackendLists,
  BackendProtocol,
  ConnectionEvent,
  ListKind,
  NotificationStreamHandlers,
  NotificationStreamOutcome,
  SessionInfo,
} from '../machines/backend-session-protocol.ts';
import type { Rng } from '../runtime/random.ts';
import type { Violation } from './invariants.ts';
import type { SimScheduler } from './scheduler.ts';

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
  readonly #streams = new Set<SimConnection>();
  readonly sched: SimScheduler;
  readonly rng: Rng;
  faults: BackendFaults;
  readonly violations: Violation[] = [];
  readonly stats = { initializations: 0, sessionDrops: 0, listChanges: 0, requests: 0, sessionLost: 0 };

  constructor(name: string, sched: SimScheduler, rng: Rng, faults: BackendFaults) {
    this.name = name;
    this.sched = sched;
    this.rng = rng;
    this.faults = faults;
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
      this.#scheduleDrop();
    });
  }

  #scheduleListChange(): void {
    this.sched.schedule(`backend.${this.name}.listChange`, this.#exp(this.faults.listChangeEveryMs), () => {
      this.#version += 1;
      this.tools = this.#makeTools();
      this.stats.listChanges += 1;
      for (const c of this.#streams) c.emit({ type: 'notification', method: 'notifications/tools/list_changed' });
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

  streamOpened(c: SimConnection): void {
    this.#streams.add(c);
  }

  streamClosed(c: SimConnection): void {
    this.#streams.delete(c);
  }

  protocol(): BackendProtocol {
    return {
      transport: 'streamable-http',
      connect: () =>
        this.sched.after(`backend.${this.name}.connect`, this.latency(), () => {
          if (this.rng.next() < this.faults.connectFail)
            throw networkError(new Error('ECONNREFUSED (simulated)'), 'connect');
          return new SimConnection(this);
        }),
    };
  }
}

class SimConnection implements BackendConnection {
  readonly transport = 'streamable-http' as const;
  info: SessionInfo | undefined;
  readonly #b: SimBackend;
  /** Set once a request on this connection was answered 404: nothing may use it afterwards. */
  #told404 = false;
  readonly #listeners = new Set<(e: ConnectionEvent) => void>();
  #eventSeq = 0;

  constructor(b: SimBackend) {
    this.#b = b;
  }

  emit(e: ConnectionEvent): void {
    for (const l of this.#listeners) l(e);
  }

  #use(what: string): void {
    this.#b.stats.requests += 1;
    if (this.#told404) {
      this.#b.violations.push({
        invariant: 'noRequestAfter404',
        detail: `${this.#b.name}: ${what} on session ${this.info?.sessionId} after its 404`,
      });
    }
  }

  #checkSession(what: string): void {
    if (!this.#b.isAlive(this.info?.sessionId)) {
      this.#told404 = true;
      this.#b.stats.sessionLost += 1;
      throw sessionLostError(`${what} (simulated: session ${this.info?.sessionId} gone)`);
    }
  }

  initialize(): Promise<SessionInfo> {
    this.#b.beginInitialize();
    return this.#b.sched.after(`backend.${this.#b.name}.initialize`, this.#b.latency(), () => {
      if (this.#b.rng.next() < this.#b.faults.initFail) {
        this.#b.endInitialize(false);
        throw httpError(503, 'initialize', 'simulated overload');
      }
      const sessionId = this.#b.endInitialize(true);
      this.info = {
        protocolVersion: '2025-11-25',
        transport: 'streamable-http',
        sessionId,
        serverInfo: { name: this.#b.name, version: '1.0.0' },
        capabilities: { tools: { listChanged: true } },
        instructions: undefined,
      };
      return this.info;
    });
  }

  list<K extends ListKind>(kind: K): Promise<BackendLists[K]> {
    this.#use(`list ${kind}`);
    return this.#b.sched.after(`backend.${this.#b.name}.list`, this.#b.latency(), () => {
      this.#checkSession(`list ${kind}`);
      return (kind === 'tools' ? structuredClone(this.#b.tools) : []) as BackendLists[K];
    });
  }

  request(method: string, params: Record<string, unknown> | undefined) {
    this.#use(method);
    return this.#b.sched.after(`backend.${this.#b.name}.request`, this.#b.latency(), () => {
      this.#checkSession(method);
      if (this.#b.rng.next() < this.#b.faults.callFail) throw httpError(500, method, 'simulated failure');
      return {
        result: { content: [{ type: 'text', text: `${this.#b.name}:${String(params?.name)}` }] },
        report: { httpStatus: 200 },
      };
    });
  }

  openNotificationStream(options: {
    lastEventId: string | undefined;
    signal: AbortSignal;
    handlers: NotificationStreamHandlers;
  }): Promise<NotificationStreamOutcome> {
    this.#use('GET stream');
    const b = this.#b;
    return new Promise((resolve, reject) => {
      let dropTimer: number | undefined;
      const end = (detail: string) => {
        b.streamClosed(this);
        if (dropTimer !== undefined) b.sched.cancel(dropTimer);
        resolve({ kind: 'ended', detail });
      };
      options.signal.addEventListener('abort', () => end('closed by the client'), { once: true });
      b.sched.schedule(`backend.${b.name}.stream`, b.latency(), () => {
        if (options.signal.aborted) return;
        try {
          this.#checkSession('GET stream');
        } catch (err) {
          reject(err);
          return;
        }
        options.handlers.onOpen();
        b.streamOpened(this);
        const [lo, hi] = b.faults.streamLifeMs;
        dropTimer = b.sched.schedule(
          `backend.${b.name}.streamDrop`,
          lo + Math.floor(b.rng.next() * (hi - lo + 1)),
          () => {
            if (b.rng.next() < b.faults.eventIds)
              options.handlers.onEventId(`${this.info?.sessionId}-e${++this.#eventSeq}`);
            if (b.rng.next() < b.faults.retryField) options.handlers.onRetry(500 + Math.floor(b.rng.next() * 5000));
            dropTimer = undefined;
            end('dropped by the server (simulated)');
          },
        );
      });
    });
  }

  onEvent(listener: (event: ConnectionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#b.streamClosed(this);
  }

  terminate(): Promise<void> {
    return this.#b.sched.after(`backend.${this.#b.name}.delete`, this.#b.latency(), () => {
      this.#b.endSession(this.info?.sessionId);
      return this.close();
    });
  }
}
