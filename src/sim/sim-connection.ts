// One connection to a simulated backend, in the era the machine chose for it (by the connect probe or its cache).
// 2025 era: `initialize` grants an Mcp-Session-Id that every later request carries; the GET stream resumes with
// Last-Event-ID and the backend replays the list changes the cursor missed. 2026-07-28: `initialize` is
// `server/discover` (no session id), the stream is `subscriptions/listen` (acknowledged, never resumed). A request in
// an era the backend does not speak is refused for its revision, as a real server of the other era would.
import { httpError, sessionLostError } from '../actors/mcp/errors.ts';
import { eraMismatchError } from '../actors/mcp/modern/modern-connection.ts';
import { MODERN_VERSIONS } from '../machines/backend-session-era.ts';
import type {
  BackendConnection,
  BackendLists,
  ConnectionEvent,
  EraDecision,
  ListKind,
  NotificationStreamOptions,
  NotificationStreamOutcome,
  SessionInfo,
} from '../machines/backend-session-protocol.ts';
import type { SimBackend } from './sim-backend.ts';

const MODERN = MODERN_VERSIONS[0] ?? '2026-07-28';

export class SimConnection implements BackendConnection {
  readonly transport = 'streamable-http' as const;
  readonly era: EraDecision;
  info: SessionInfo | undefined;
  readonly #b: SimBackend;
  /** Set once a request on this connection was answered 404: nothing may use it afterwards. */
  #told404 = false;
  /** Set once a request on this connection was refused for its revision. */
  #refused = false;
  readonly #listeners = new Set<(e: ConnectionEvent) => void>();

  constructor(b: SimBackend, era: EraDecision) {
    this.#b = b;
    this.era = era;
  }

  get #modern(): boolean {
    return this.era.era === 'modern';
  }

  emit(e: ConnectionEvent): void {
    for (const l of this.#listeners) l(e);
  }

  /** What the request carries, as the backend records it; then the 404 rule. */
  #use(what: string, lastEventId?: string): void {
    const b = this.#b;
    b.stats.requests += 1;
    b.received({
      backend: b.name,
      backendEra: b.era,
      connectionEra: this.era.era,
      what,
      sessionId: this.info?.sessionId,
      lastEventId,
      afterRefusal: this.#refused,
    });
    if (this.#told404) {
      b.violations.push({
        invariant: 'noRequestAfter404',
        detail: `${b.name}: ${what} on session ${this.info?.sessionId} after its 404`,
      });
    }
  }

  /** The backend answers in its own era: a request in the other one is refused for its revision. */
  #checkEra(what: string): void {
    if (this.#b.era === this.era.era) return;
    this.#refused = true;
    throw eraMismatchError(`${what}: the backend speaks the ${this.#b.era} era (simulated)`);
  }

  #checkSession(what: string): void {
    this.#checkEra(what);
    if (this.#modern) return;
    if (!this.#b.isAlive(this.info?.sessionId)) {
      this.#told404 = true;
      this.#b.stats.sessionLost += 1;
      throw sessionLostError(`${what} (simulated: session ${this.info?.sessionId} gone)`);
    }
  }

  initialize(): Promise<SessionInfo> {
    const b = this.#b;
    this.#use(this.#modern ? 'server/discover' : 'initialize');
    if (!this.#modern) b.beginInitialize();
    return b.sched.after(`backend.${b.name}.initialize`, b.latency(), () => {
      if (!this.#modern) {
        const failed = b.era !== 'legacy' || b.rng.next() < b.faults.initFail;
        const sessionId = b.endInitialize(!failed);
        this.#checkEra('initialize');
        if (failed) throw httpError(503, 'initialize', 'simulated overload');
        this.info = this.#info('2025-11-25', sessionId);
        return this.info;
      }
      this.#checkEra('server/discover');
      if (b.rng.next() < b.faults.initFail) throw httpError(503, 'server/discover', 'simulated overload');
      this.info = this.#info(MODERN, undefined);
      return this.info;
    });
  }

  #info(protocolVersion: string, sessionId: string | undefined): SessionInfo {
    return {
      protocolVersion,
      transport: 'streamable-http',
      sessionId,
      serverInfo: { name: this.#b.name, version: '1.0.0' },
      capabilities: { tools: { listChanged: true } },
      instructions: undefined,
    };
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

  /** 2025: the GET stream; 2026-07-28: `subscriptions/listen`. Either drops after a seeded life. */
  openNotificationStream(options: NotificationStreamOptions): Promise<NotificationStreamOutcome> {
    const b = this.#b;
    const what = this.#modern ? 'listen' : 'GET stream';
    this.#use(what, options.lastEventId);
    if (this.#modern) b.listenAttempted();
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
          this.#checkSession(what);
        } catch (err) {
          if (this.#modern) b.listenBroken();
          reject(err);
          return;
        }
        options.handlers.onOpen();
        // A restart of a 2026 backend breaks its listen streams; a 2025 one's GET streams run to their drop.
        b.streamOpened(this, () => {
          b.listenBroken();
          end('the backend restarted (simulated)');
        });
        if (!this.#modern) this.#replaySince(options.lastEventId);
        const [lo, hi] = b.faults.streamLifeMs;
        dropTimer = b.sched.schedule(
          `backend.${b.name}.streamDrop`,
          lo + Math.floor(b.rng.next() * (hi - lo + 1)),
          () => {
            // Only a 2025 stream has a cursor to resume from; the list-change count is the cursor.
            if (b.rng.next() < b.faults.eventIds && !this.#modern)
              options.handlers.onEventId(`${this.info?.sessionId}-e${b.stats.listChanges}`);
            let retryMs: number | undefined;
            if (b.rng.next() < b.faults.retryField) {
              retryMs = 500 + Math.floor(b.rng.next() * 5000);
              options.handlers.onRetry(retryMs);
            }
            dropTimer = undefined;
            if (this.#modern) b.listenBroken(retryMs);
            end('dropped by the server (simulated)');
          },
        );
      });
    });
  }

  /** A resumed 2025 stream gets what it missed, as a server with an event store replays it. */
  #replaySince(lastEventId: string | undefined): void {
    const m = lastEventId === undefined ? null : /^(.*)-e(\d+)$/.exec(lastEventId);
    if (!m || m[1] !== this.info?.sessionId || Number(m[2]) >= this.#b.stats.listChanges) return;
    this.emit({ type: 'notification', method: 'notifications/tools/list_changed' });
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
