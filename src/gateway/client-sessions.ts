// Downstream (client) MCP sessions: one SDK transport (served through web-transport-bridge.ts) + one Server each,
// owned by the identity that initialized it, closed when idle, capped in number per client and in total. When a cap is reached the least recently active idle
// session makes room (the client's own first when it is the client's quota), so that nobody is refused while a slot
// is only held, not used. Aggregate list changes fan out to every session from here.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Logger } from 'pino';
import type { ListChangeKind } from './aggregator.ts';
import { BoundedEventStore, type EventBudget } from './event-store.ts';
import type { GatewayMetrics } from './metrics.ts';
import { announceListChanges } from './session-server.ts';
import { serveWithWebTransport } from './web-transport-bridge.ts';

interface ClientSession {
  id: string;
  owner: string;
  /** Whose quota the session counts against (see session-quota-key.ts). */
  client: string;
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  events: BoundedEventStore;
  lastSeen: number;
  /** HTTP requests (including open SSE streams) in progress: a session with one is never closed as idle. */
  inFlight: number;
  /**
   * POST and DELETE requests in progress: a session with one is never evicted. An open GET (listening for
   * notifications, or resuming) does not count: SDK clients keep one open for the session's life.
   */
  working: number;
}

export interface ClientSessionsOptions {
  newServer: () => Server;
  logger: Logger;
  metrics: GatewayMetrics;
  idleTimeoutMs: number;
  maxSessions: number;
  maxSessionsPerClient: number;
  /** The resumable-stream byte budget all sessions share. */
  eventBudget: EventBudget;
  /** Keep-alive comments on SSE streams, so proxies do not cut idle streams. */
  keepAliveMs?: number;
  onSessionClosed?: (sessionId: string) => void;
}

/** Why a new session cannot be opened: the HTTP status, a metrics reason and a message for the client. */
export interface SessionRefusal {
  status: 429 | 503;
  reason: 'client-quota' | 'capacity';
  message: string;
}

export class ClientSessions {
  /** Least recently active first: a session moves to the end when a request of it starts or ends. */
  readonly #sessions = new Map<string, ClientSession>();
  readonly #byClient = new Map<string, Map<string, ClientSession>>();
  readonly #opts: ClientSessionsOptions;
  readonly #sweeper: NodeJS.Timeout;
  /** Sessions being initialized, per client: counted against the caps before they have an id. */
  readonly #pending = new Map<string, number>();
  #pendingTotal = 0;

  constructor(opts: ClientSessionsOptions) {
    this.#opts = opts;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(60_000, opts.idleTimeoutMs / 2));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The session with this id, if it exists and belongs to this caller (anyone else is told it does not exist). */
  find(id: string, owner: string): ClientSession | undefined {
    const s = this.#sessions.get(id);
    return s && s.owner === owner ? s : undefined;
  }

  /**
   * Make room for one more session of this client: when its quota or the gateway's cap is reached, the least recently
   * active idle session (the client's own for its quota, anyone's for the cap) is closed. Says why when nothing can
   * make room. Call `initialize` right after (synchronously) when it returns nothing.
   */
  admit(client: string): SessionRefusal | undefined {
    const { maxSessions, maxSessionsPerClient } = this.#opts;
    const own = this.#byClient.get(client);
    if ((own?.size ?? 0) + (this.#pending.get(client) ?? 0) >= maxSessionsPerClient) {
      const victim = own && oldestIdle(own.values());
      if (!victim) {
        return {
          status: 429,
          reason: 'client-quota',
          message: `Too many sessions for this client: all ${maxSessionsPerClient} allowed are busy; end one (DELETE) or try again later`,
        };
      }
      this.#evict(victim, 'client-quota');
    }
    if (this.#sessions.size + this.#pendingTotal >= maxSessions) {
      const victim = oldestIdle(this.#sessions.values());
      if (!victim) {
        return {
          status: 503,
          reason: 'capacity',
          message: `Too many sessions: all ${maxSessions} this gateway allows are busy; try again later`,
        };
      }
      this.#evict(victim, 'capacity');
    }
    return undefined;
  }

  /** Serve a request on an existing session. */
  async handle(
    session: ClientSession,
    req: IncomingMessage & { auth?: AuthInfo },
    res: ServerResponse,
    body?: unknown,
  ) {
    const working = req.method !== 'GET';
    session.lastSeen = performance.now();
    session.inFlight++;
    if (working) {
      session.working++;
      this.#touch(session);
    } else if (!req.headers['last-event-id']) {
      session.events.standaloneStreamOpening();
    }
    res.once('close', () => {
      session.inFlight--;
      session.lastSeen = performance.now();
      if (working) {
        session.working--;
        this.#touch(session);
      }
    });
    await session.events.serve(res, () => serveWithWebTransport(session.transport, req, res, body));
  }

  /** Serve an `initialize` request on a new session (after `admit`); the session exists only if it succeeds. */
  async initialize(
    owner: string,
    client: string,
    req: IncomingMessage & { auth?: AuthInfo },
    res: ServerResponse,
    body: unknown,
  ) {
    this.#pending.set(client, (this.#pending.get(client) ?? 0) + 1);
    this.#pendingTotal++;
    const server = this.#opts.newServer();
    const events = new BoundedEventStore(this.#opts.eventBudget);
    let registered: ClientSession | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: events,
      keepAliveMs: this.#opts.keepAliveMs,
      onsessioninitialized: (id) => {
        // Busy until this initialize request ends, so a burst of new sessions cannot evict one another mid-handshake.
        registered = {
          id,
          owner,
          client,
          transport,
          server,
          events,
          lastSeen: performance.now(),
          inFlight: 0,
          working: 1,
        };
        this.#sessions.set(id, registered);
        const own = this.#byClient.get(client) ?? new Map<string, ClientSession>();
        this.#byClient.set(client, own);
        own.set(id, registered);
        this.#settlePending(client);
        this.#opts.metrics.sessions.set(this.#sessions.size);
        this.#opts.logger.debug({ session: id, client: owner }, 'client session opened');
      },
      onsessionclosed: (id) => void this.#close(id, 'client ended the session'),
    });
    transport.onclose = () => {
      if (registered) void this.#close(registered.id, 'transport closed');
    };
    try {
      await server.connect(transport);
      await events.serve(res, () => serveWithWebTransport(transport, req, res, body));
    } finally {
      if (registered) {
        registered.working--;
        registered.lastSeen = performance.now();
        this.#touch(registered);
      } else {
        this.#settlePending(client);
        events.clear();
        await server.close().catch(() => {});
      }
    }
  }

  /** Tell one session that a resource it subscribed to changed. */
  resourceUpdated(sessionId: string, uri: string): void {
    void this.#sessions
      .get(sessionId)
      ?.server.sendResourceUpdated({ uri })
      .catch(() => {});
  }

  announce(kinds: ReadonlySet<ListChangeKind>): void {
    for (const s of this.#sessions.values()) void announceListChanges(s.server, kinds);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#sessions.keys()].map((id) => this.#close(id, 'gateway shutting down')));
  }

  #settlePending(client: string): void {
    const n = (this.#pending.get(client) ?? 0) - 1;
    if (n > 0) this.#pending.set(client, n);
    else this.#pending.delete(client);
    this.#pendingTotal--;
  }

  /** Move to the most recently active end. */
  #touch(s: ClientSession): void {
    if (this.#sessions.get(s.id) !== s) return;
    this.#sessions.delete(s.id);
    this.#sessions.set(s.id, s);
    const own = this.#byClient.get(s.client);
    own?.delete(s.id);
    own?.set(s.id, s);
  }

  #evict(s: ClientSession, reason: SessionRefusal['reason']): void {
    const why =
      reason === 'client-quota' ? "the client's session quota is reached" : "the gateway's session cap is reached";
    this.#opts.metrics.sessionsEvicted.inc({ reason });
    this.#opts.logger.info({ session: s.id, client: s.client, why }, 'idle client session closed to make room');
    void this.#close(s.id, why);
  }

  async #close(id: string, why: string): Promise<void> {
    const s = this.#sessions.get(id);
    if (!s) return;
    this.#sessions.delete(id);
    const own = this.#byClient.get(s.client);
    own?.delete(id);
    if (own?.size === 0) this.#byClient.delete(s.client);
    s.events.clear();
    this.#opts.metrics.sessions.set(this.#sessions.size);
    this.#opts.logger.debug({ session: id, why }, 'client session closed');
    this.#opts.onSessionClosed?.(id);
    await s.server.close().catch(() => {});
  }

  #sweep(): void {
    this.#opts.eventBudget.expire();
    const now = performance.now();
    for (const s of this.#sessions.values()) {
      if (s.inFlight === 0 && now - s.lastSeen > this.#opts.idleTimeoutMs) void this.#close(s.id, 'idle');
    }
  }
}

/** The least recently active session with no POST or DELETE in progress. */
function oldestIdle(sessions: Iterable<ClientSession>): ClientSession | undefined {
  for (const s of sessions) if (s.working === 0) return s;
  return undefined;
}
