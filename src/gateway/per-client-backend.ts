// A `tokenExchange` backend seen as one Backend: behind it, one backend session per client identity, each opened on
// that client's first use with the client's validated token as the RFC 8693 subject token, so a backend session only
// ever carries its own client's exchanged token. The map is bounded (least recently used closed first, never one
// with a request in flight) and a session unused for the idle time is closed (DELETE). Anonymous callers are refused:
// there is nothing to exchange, and a shared session would act for nobody in particular.
//
// Listing: the gateway advertises ONE set of names per backend, so it takes the lists of the oldest open session
// (the first caller's, then the next oldest once that one is closed). We chose it over "the most recently used
// session" because it is stable: alternating callers do not make the aggregate flip and send list_changed to every
// client. A client whose own session lacks a listed name gets the backend's own error for it. Before any client
// came, there are no lists; the gateway opens the first session as soon as an authenticated client reaches it
// (`open()`), so the names appear (with list_changed) without waiting for a call that could not be routed.
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { PerClientSetup } from '../actors/mcp/auth/outgoing-auth.ts';
import { createTokenExchange, type TokenExchanger } from '../actors/mcp/auth/token-exchange.ts';
import type { OutgoingAuth } from '../actors/mcp/auth/types.ts';
import { createHttpClient, type HttpClient } from '../actors/mcp/http/http-client.ts';
import { ErrorCode } from '../api/mcp-errors.ts';
import { systemClock } from '../runtime/clock.ts';
import { traced } from '../runtime/tracing/tracing.ts';
import {
  type Backend,
  type BackendInfo,
  type BackendLists,
  type BackendRequestOptions,
  type BackendRequestResult,
  type BackendState,
  type ClientIdentity,
  NO_LISTS,
} from './backend.ts';
import { BackendListeners } from './backend-listeners.ts';
import type { BackendSetup } from './backend-setup.ts';
import { RequestError } from './forward-errors.ts';

export type SessionFactory = (setup: BackendSetup, logger: Logger) => Backend;

interface ClientSession {
  subject: string;
  /** The client's latest validated token: a refreshed token replaces the old one for the next exchange. */
  token: string;
  backend: Backend;
  inFlight: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  unsubscribe: () => void;
}

export class PerClientBackend implements Backend {
  readonly info: BackendInfo;
  state: BackendState = 'ready';
  reason: string | undefined = 'no client session yet: tokenExchange opens one backend session per client';
  lists: BackendLists = NO_LISTS;
  capabilities: ServerCapabilities | undefined;
  protocolVersion: string | undefined;

  readonly #setup: BackendSetup;
  readonly #perClient: PerClientSetup;
  readonly #logger: Logger;
  readonly #createSession: SessionFactory;
  readonly #http: HttpClient;
  readonly #exchanger: TokenExchanger;
  /** Insertion order is recency order: a used session is moved to the end. */
  readonly #sessions = new Map<string, ClientSession>();
  /** Subjects in the order their sessions were opened: the first one is the source of the lists. */
  readonly #opened: string[] = [];
  readonly #listeners: BackendListeners;
  #closed = false;

  constructor(setup: BackendSetup, logger: Logger, createSession: SessionFactory) {
    const perClient = setup.outgoing.perClient;
    if (!perClient) throw new Error(`backend ${setup.info.name} has no per-client setup`);
    this.#setup = setup;
    this.#perClient = perClient;
    this.info = setup.info;
    this.#logger = logger;
    this.#listeners = new BackendListeners(logger);
    this.#createSession = createSession;
    this.#http = createHttpClient({ clock: systemClock });
    this.#exchanger = createTokenExchange(perClient.exchange, {
      http: this.#http,
      clock: systemClock,
      log: logger,
    });
  }

  /** Subjects with an open backend session, least recently used first (tests and /readyz detail). */
  get subjects(): string[] {
    return [...this.#sessions.keys()];
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.onChange(listener);
  }

  onResourceUpdated(listener: (uri: string) => void): () => void {
    return this.#listeners.onResourceUpdated(listener);
  }

  /** Nothing to open before a client comes. */
  async start(): Promise<void> {}

  /** An authenticated client reached the gateway: open its session if none is open yet, so the names get listed. */
  open(identity: ClientIdentity): void {
    if (this.#closed || this.#sessions.size > 0 || !identity.token) return;
    const session = this.#sessionFor(identity.subject, identity.token);
    this.#armIdle(session);
  }

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts: BackendRequestOptions = {},
  ): Promise<BackendRequestResult<Record<string, unknown>>> {
    const identity = opts.identity;
    if (!identity?.token || identity.subject === 'anonymous') {
      throw new RequestError(
        ErrorCode.InvalidRequest,
        `backend "${this.info.name}": outgoing auth is tokenExchange, which needs an authenticated caller (incoming ` +
          'OIDC) whose token is exchanged for a backend token; an anonymous call cannot use this backend',
      );
    }
    if (this.#closed) throw new RequestError(ErrorCode.InternalError, `backend "${this.info.name}" is closed`);
    const session = this.#sessionFor(identity.subject, identity.token);
    session.inFlight++;
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
    try {
      await session.backend.start();
      return await session.backend.request(method, params, opts);
    } finally {
      session.inFlight--;
      this.#armIdle(session);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#sessions.values()].map((s) => this.#closeSession(s, 'gateway closing')));
    await this.#http.close();
    this.state = 'closed';
    this.reason = 'closed by the gateway';
    this.lists = NO_LISTS;
    this.#notify();
  }

  /** The caller's session, created on first use and marked most recently used. */
  #sessionFor(subject: string, token: string): ClientSession {
    const existing = this.#sessions.get(subject);
    if (existing) {
      existing.token = token;
      this.#sessions.delete(subject);
      this.#sessions.set(subject, existing);
      return existing;
    }
    this.#evictForOneMore();
    const session: ClientSession = {
      subject,
      token,
      backend: undefined as unknown as Backend,
      inFlight: 0,
      idleTimer: undefined,
      unsubscribe: () => {},
    };
    const exchanger = this.#exchanger;
    // The subject token is read when a request is made, so the session follows the client's refreshed token.
    const auth: OutgoingAuth = {
      method: 'tokenExchange',
      // With tracing on, obtaining the exchanged token (from the cache or the STS) is a child span of the call.
      headers: (signal) =>
        traced('token exchange', { 'mcpre.backend.name': this.info.name }, () =>
          exchanger.forSubject(session.token).headers(signal),
        ),
    };
    session.backend = this.#createSession(
      { ...this.#setup, clientAuth: auth },
      this.#logger.child({ client: subject }),
    );
    const offChange = session.backend.onChange(() => this.#refresh());
    const offUpdated = session.backend.onResourceUpdated((uri) => {
      if (this.#opened[0] !== subject) return;
      this.#listeners.resourceUpdated(uri);
    });
    session.unsubscribe = () => {
      offChange();
      offUpdated();
    };
    this.#sessions.set(subject, session);
    this.#opened.push(subject);
    this.#logger.info(
      { client: subject, sessions: this.#sessions.size, max: this.#perClient.maxSessions },
      'opening a backend session for this client (tokenExchange)',
    );
    // A session that cannot start fails this client's requests (each awaits start() again), never the process.
    session.backend
      .start()
      .catch((err: unknown) =>
        this.#logger.error(
          { client: subject, err: err instanceof Error ? err.message : String(err) },
          'the backend session for this client cannot start',
        ),
      );
    this.#refresh();
    return session;
  }

  /** Make room for one more session: close the least recently used one that has no request in flight. */
  #evictForOneMore(): void {
    if (this.#sessions.size < this.#perClient.maxSessions) return;
    for (const session of this.#sessions.values()) {
      if (session.inFlight > 0) continue;
      void this.#closeSession(session, 'least recently used, the client session limit was reached');
      return;
    }
    this.#logger.warn(
      { sessions: this.#sessions.size, max: this.#perClient.maxSessions },
      'every client backend session has a request in flight; going over the limit until one finishes',
    );
  }

  #armIdle(session: ClientSession): void {
    if (session.idleTimer) clearTimeout(session.idleTimer);
    if (session.inFlight > 0 || this.#sessions.get(session.subject) !== session) return;
    session.idleTimer = setTimeout(() => {
      session.idleTimer = undefined;
      if (session.inFlight === 0) void this.#closeSession(session, 'idle');
    }, this.#perClient.idleMs);
    session.idleTimer.unref?.();
  }

  async #closeSession(session: ClientSession, why: string): Promise<void> {
    if (this.#sessions.get(session.subject) !== session) return;
    this.#sessions.delete(session.subject);
    const at = this.#opened.indexOf(session.subject);
    if (at >= 0) this.#opened.splice(at, 1);
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.unsubscribe();
    this.#logger.info({ client: session.subject, why }, 'closing a client backend session');
    this.#refresh();
    try {
      await session.backend.close();
    } catch (err) {
      this.#logger.warn({ client: session.subject, err: String(err) }, 'closing a client backend session failed');
    }
  }

  /** State and lists follow the oldest open session; with none open, ready with nothing to list. */
  #refresh(): void {
    if (this.#closed) return;
    const source = this.#opened[0] === undefined ? undefined : this.#sessions.get(this.#opened[0]);
    const state: BackendState = source ? source.backend.state : 'ready';
    const reason = source
      ? source.backend.reason
      : 'no client session yet: tokenExchange opens one backend session per client';
    const lists = source ? source.backend.lists : NO_LISTS;
    const capabilities = source?.backend.capabilities;
    this.protocolVersion = source?.backend.protocolVersion;
    if (state === this.state && reason === this.reason && lists === this.lists && capabilities === this.capabilities)
      return;
    this.state = state;
    this.reason = reason;
    this.lists = lists;
    this.capabilities = capabilities;
    this.#notify();
  }

  #notify(): void {
    this.#listeners.changed();
  }
}
