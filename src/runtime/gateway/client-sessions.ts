// Downstream (client) MCP sessions: one SDK transport + one Server each, owned by the identity that initialized it,
// closed when idle, capped in number. Aggregate list changes fan out to every session from here.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from 'pino';
import type { ListChangeKind } from './aggregator.ts';
import { BoundedEventStore } from './event-store.ts';
import type { GatewayMetrics } from './metrics.ts';
import { announceListChanges } from './session-server.ts';

interface ClientSession {
  id: string;
  owner: string;
  transport: StreamableHTTPServerTransport;
  server: Server;
  lastSeen: number;
  /** HTTP requests (including open SSE streams) in progress: a session with one is never idle. */
  inFlight: number;
}

export interface ClientSessionsOptions {
  newServer: () => Server;
  logger: Logger;
  metrics: GatewayMetrics;
  idleTimeoutMs: number;
  maxSessions: number;
  /** Keep-alive comments on SSE streams, so proxies do not cut idle streams. */
  keepAliveMs?: number;
  onSessionClosed?: (sessionId: string) => void;
}

export class ClientSessions {
  readonly #sessions = new Map<string, ClientSession>();
  readonly #opts: ClientSessionsOptions;
  readonly #sweeper: NodeJS.Timeout;
  /** Sessions being initialized: counted against the cap before they have an id. */
  #pending = 0;

  constructor(opts: ClientSessionsOptions) {
    this.#opts = opts;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(60_000, opts.idleTimeoutMs / 2));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  get full(): boolean {
    return this.#sessions.size + this.#pending >= this.#opts.maxSessions;
  }

  /** The session with this id, if it exists and belongs to this caller (anyone else is told it does not exist). */
  find(id: string, owner: string): ClientSession | undefined {
    const s = this.#sessions.get(id);
    return s && s.owner === owner ? s : undefined;
  }

  /** Serve a request on an existing session. */
  async handle(
    session: ClientSession,
    req: IncomingMessage & { auth?: AuthInfo },
    res: ServerResponse,
    body?: unknown,
  ) {
    session.lastSeen = performance.now();
    session.inFlight++;
    res.once('close', () => {
      session.inFlight--;
      session.lastSeen = performance.now();
    });
    await session.transport.handleRequest(req, res, body);
  }

  /** Serve an `initialize` request on a new session; the session exists only if initialization succeeds. */
  async initialize(owner: string, req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown) {
    this.#pending++;
    const server = this.#opts.newServer();
    let registered: ClientSession | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new BoundedEventStore(),
      keepAliveMs: this.#opts.keepAliveMs,
      onsessioninitialized: (id) => {
        registered = { id, owner, transport, server, lastSeen: performance.now(), inFlight: 0 };
        this.#sessions.set(id, registered);
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
      await transport.handleRequest(req, res, body);
    } finally {
      this.#pending--;
      if (!registered) await server.close().catch(() => {});
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

  async #close(id: string, why: string): Promise<void> {
    const s = this.#sessions.get(id);
    if (!s) return;
    this.#sessions.delete(id);
    this.#opts.metrics.sessions.set(this.#sessions.size);
    this.#opts.logger.debug({ session: id, why }, 'client session closed');
    this.#opts.onSessionClosed?.(id);
    await s.server.close().catch(() => {});
  }

  #sweep(): void {
    const now = performance.now();
    for (const s of this.#sessions.values()) {
      if (s.inFlight === 0 && now - s.lastSeen > this.#opts.idleTimeoutMs) void this.#close(s.id, 'idle');
    }
  }
}
