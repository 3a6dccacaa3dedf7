// The gateway's own 2025-era Streamable HTTP server: `initialize` opens a session whose state is a record in the
// SessionStore; every later request (POST, GET, DELETE with `Mcp-Session-Id`) is served from that record, by whichever
// process reads it, with no per-session server object. A POST is answered with one JSON body unless a related message
// (progress, a log line, a relayed server request) comes before the result; then it becomes a resumable SSE stream
// (exchange.ts, event ids from the session's event log). Requests go to the same ServerDefinition and Router as the
// 2026-07-28 endpoint (dispatch.ts). Clients' answers to relayed requests and cancellations are matched to their call
// here or, through the session bus, in another process (calls.ts); GET streams and resumption are streams.ts's.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Logger } from 'pino';
import { fingerprint } from '../../actors/mcp/log.ts';
import { ErrorCode } from '../../api/mcp-errors.ts';
import type { ListChangeKind } from '../aggregator.ts';
import { Exchange, KeepAlive, writeJson } from '../exchange.ts';
import { RequestError } from '../forward-errors.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { Extra } from '../router.ts';
import type { ServerDefinition } from '../server-definition.ts';
import type { ResourceSubscriptions } from '../subscriptions.ts';
import { SessionCall, SessionCalls } from './calls.ts';
import { dispatch, errorOf } from './dispatch.ts';
import {
  checkGetHeaders,
  checkPostHeaders,
  checkVersionHeader,
  type HttpRefusal,
  initializeParams,
  isRefusal,
  negotiate,
  parseMessages,
  type RequestMessage,
  type ResponseMessage,
} from './messages.ts';
import {
  type ClientSessionRecord,
  type ListChange,
  type SessionEnd,
  type SessionRefusal,
  type SessionSignal,
  type SessionStore,
  STANDALONE_STREAM,
  streamOfEventId,
} from './store.ts';
import { SessionStreamLog } from './stream-log.ts';
import { SessionStreams } from './streams.ts';

type Req = IncomingMessage & { auth?: AuthInfo };

export interface SessionHandlerDeps {
  store: SessionStore;
  definition: ServerDefinition;
  subscriptions: ResourceSubscriptions;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Keep-alive comments on SSE streams (default 15 s; 0: none). */
  keepAliveMs?: number;
  /** The reconnection delay advised in a stream's priming event (default 1 s). */
  retryMs?: number;
  /** A call still running after this long is answered on a resumable stream (default 100 ms). */
  streamAfterMs?: number;
}

export class SessionHandler {
  readonly #deps: SessionHandlerDeps;
  readonly #calls = new SessionCalls();
  readonly #streams: SessionStreams;
  readonly #keepAlive: KeepAlive;
  readonly #unsubscribe: Array<() => void>;
  /** This handler's name on the bus. */
  readonly #holder = randomUUID();

  constructor(deps: SessionHandlerDeps) {
    this.#deps = deps;
    this.#keepAlive = new KeepAlive(deps.keepAliveMs ?? 15_000);
    this.#streams = new SessionStreams({ log: deps.store.events, keepAlive: this.#keepAlive });
    this.#unsubscribe = [
      deps.store.bus.subscribe((signal) => this.#onSignal(signal)),
      deps.store.onEnded((id, why) => this.#onEnded(id, why)),
    ];
  }

  /** Open a session with an `initialize` POST; a refusal (quota, capacity) is for the caller to answer. */
  async initialize(owner: string, client: string, req: Req, res: ServerResponse, body: unknown) {
    const bad = checkPostHeaders(req.headers);
    if (bad) return refuse(res, bad);
    const messages = parseMessages(body);
    if (isRefusal(messages)) return refuse(res, messages);
    const request = messages.requests.find((m) => m.method === 'initialize');
    if (!request || messages.requests.length + messages.notifications.length + messages.responses.length > 1) {
      return refuse(res, {
        status: 400,
        code: -32600,
        message: 'Invalid Request: Only one initialization request is allowed',
      });
    }
    const params = initializeParams(request.params);
    if (typeof params === 'string') {
      return writeJson(res, 200, {
        jsonrpc: '2.0',
        id: request.id,
        error: { code: ErrorCode.InvalidParams, message: `Invalid params: ${params}` },
      });
    }
    const now = Date.now();
    const record: ClientSessionRecord = {
      id: randomUUID(),
      owner,
      client,
      protocolVersion: negotiate(params.protocolVersion),
      clientInfo: params.clientInfo,
      clientCapabilities: params.capabilities,
      subscriptions: [],
      createdAt: now,
      lastSeen: now,
    };
    const { store, metrics, logger, definition } = this.#deps;
    const admission = await store.create(record);
    for (const e of admission.evicted) {
      const why =
        e.reason === 'client-quota' ? "the client's session quota is reached" : "the gateway's session cap is reached";
      metrics.sessionsEvicted.inc({ reason: e.reason });
      logger.info({ session: fingerprint(e.id), client: e.client, why }, 'idle client session closed to make room');
    }
    if (!admission.ok) return admission.refusal satisfies SessionRefusal;
    this.#countSessions();
    logger.debug({ session: fingerprint(record.id), client: owner }, 'client session opened');
    const result = {
      protocolVersion: record.protocolVersion,
      capabilities: definition.capabilities,
      serverInfo: definition.info,
      instructions: definition.instructions,
    };
    writeJson(res, 200, { jsonrpc: '2.0', id: request.id, result }, { 'mcp-session-id': record.id });
    return undefined;
  }

  /** Serve a request of an existing session; 'unknown' when it does not exist for this caller (nothing answered). */
  async handle(sessionId: string, subject: string, req: Req, res: ServerResponse, body: unknown) {
    const visit = await this.#deps.store.visit(sessionId, req.method === 'GET' ? 'stream' : 'work');
    if (!visit || visit.record.owner !== subject) {
      visit?.leave();
      return 'unknown' as const;
    }
    res.once('close', visit.leave);
    const { record } = visit;
    if (req.method === 'POST') return this.#post(record, req, res, body);
    const bad = (req.method === 'GET' ? checkGetHeaders(req.headers) : undefined) ?? checkVersionHeader(req.headers);
    if (bad) return refuse(res, bad);
    const headers = { 'mcp-session-id': record.id };
    if (req.method === 'DELETE') {
      await this.#deps.store.delete(record.id, 'deleted');
      res.writeHead(200, headers).end();
      return;
    }
    const lastEventId = req.headers['last-event-id'];
    const resuming = typeof lastEventId === 'string' && lastEventId !== '';
    const refused = resuming
      ? await this.#streams.resume(record.id, lastEventId, res, headers)
      : await this.#streams.openStandalone(record.id, res, headers);
    if (refused) return refuse(res, refused);
    // One standalone stream per session: wherever else it was held, it is let go.
    if (!resuming || streamOfEventId(lastEventId as string) === STANDALONE_STREAM) {
      void this.#deps.store.bus.publish({ type: 'standalone-opened', session: record.id, holder: this.#holder });
    }
  }

  /** Aggregated lists changed: every session hears it on its standalone stream, wherever that is held. */
  announce(fingerprints: Readonly<Record<ListChangeKind, string>>, kinds: ReadonlySet<ListChangeKind>): void {
    void this.#deps.store.bus.publish({ type: 'lists-changed', changes: listChanges(fingerprints, kinds) });
  }

  /** A resource one session subscribed to changed. */
  resourceUpdated(session: string, uri: string): void {
    void this.#deps.store.bus.publish({ type: 'resource-updated', session, uri });
  }

  /** Shutting down: end the streams and calls held here (the sessions stay in the store). */
  async close(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    this.#streams.closeAll();
    this.#calls.endAll('gateway shutting down');
    await this.#deps.store.close();
  }

  async #post(record: ClientSessionRecord, req: Req, res: ServerResponse, body: unknown): Promise<void> {
    const bad = checkPostHeaders(req.headers);
    if (bad) return refuse(res, bad);
    const messages = parseMessages(body);
    if (isRefusal(messages)) return refuse(res, messages);
    if (messages.requests.some((m) => m.method === 'initialize')) {
      return refuse(res, { status: 400, code: -32600, message: 'Invalid Request: Server already initialized' });
    }
    const badVersion = checkVersionHeader(req.headers);
    if (badVersion) return refuse(res, badVersion);
    for (const response of messages.responses) this.#fromClient(record.id, response);
    for (const n of messages.notifications) if (n.method === 'notifications/cancelled') this.#fromClient(record.id, n);
    const { requests } = messages;
    if (requests.length === 0) {
      res.writeHead(202).end();
      return;
    }
    const exchange = this.#exchange(record, res, requests.length);
    // Most POSTs carry one request: no array of promises to wait for.
    if (requests.length === 1) return this.#call(record, req, requests[0]!, exchange);
    await Promise.all(requests.map((request) => this.#call(record, req, request, exchange)));
  }

  #exchange(record: ClientSessionRecord, res: ServerResponse, answers: number): Exchange {
    return new Exchange(res, {
      headers: { 'mcp-session-id': record.id },
      log: new SessionStreamLog(this.#deps.store, this.#streams, res, record, this.#deps.retryMs ?? 1000),
      answers,
      keepAlive: this.#keepAlive,
      streamAfterMs: this.#deps.streamAfterMs ?? 100,
    });
  }

  async #call(record: ClientSessionRecord, req: Req, request: RequestMessage, exchange: Exchange): Promise<void> {
    const call = new SessionCall(this.#calls, exchange, record.id, request, req.auth);
    const end = this.#calls.begin(record.id, request.id, call);
    const { signal } = call;
    const extra = call as unknown as Extra;
    try {
      const result = await dispatch(this.#deps, record, request, extra);
      exchange.finish({ jsonrpc: '2.0', id: request.id, result });
    } catch (err) {
      const error = signal.aborted
        ? {
            code: ErrorCode.InternalError,
            message: `Request cancelled: ${String((signal.reason as Error)?.message ?? signal.reason)}`,
          }
        : errorOf(err);
      if (!(err instanceof RequestError) && !signal.aborted && error.code === ErrorCode.InternalError) {
        this.#deps.logger.error({ err: String(err), method: request.method }, 'request failed');
      }
      exchange.finish({ jsonrpc: '2.0', id: request.id, error });
    } finally {
      end();
    }
  }

  /** A client's answer or cancellation: to the call here, else to whichever process runs it. */
  #fromClient(session: string, message: ResponseMessage | { method: string; params?: Record<string, unknown> }): void {
    if (this.#settle(session, message)) return;
    void this.#deps.store.bus.publish({ type: 'client-message', session, message: message as never });
  }

  #settle(session: string, message: unknown): boolean {
    const m = message as { id?: unknown; method?: unknown; params?: { requestId?: unknown; reason?: unknown } };
    if (m.method === 'notifications/cancelled')
      return this.#calls.cancel(session, m.params?.requestId, m.params?.reason);
    return m.method === undefined && this.#calls.answer(session, message as ResponseMessage);
  }

  #onSignal(signal: SessionSignal): void {
    switch (signal.type) {
      case 'lists-changed':
        for (const session of this.#streams.standaloneSessions()) {
          for (const kind of signal.kinds) {
            void this.#streams.notify(session, { jsonrpc: '2.0', method: `notifications/${kind}/list_changed` });
          }
        }
        return;
      case 'resource-updated':
        void this.#streams.notify(signal.session, {
          jsonrpc: '2.0',
          method: 'notifications/resources/updated',
          params: { uri: signal.uri },
        });
        return;
      case 'client-message':
        this.#settle(signal.session, signal.message);
        return;
      case 'stream-event':
        this.#streams.deliver(signal.session, signal.stream, signal.event, signal.final ?? false);
        return;
      case 'standalone-opened':
        if (signal.holder !== this.#holder) this.#streams.releaseStandalone(signal.session);
        return;
    }
  }

  #onEnded(id: string, why: SessionEnd): void {
    void this.#deps.subscriptions.dropSession(id);
    this.#streams.endSession(id);
    this.#calls.endSession(id, why);
    this.#countSessions();
    this.#deps.logger.debug({ session: fingerprint(id), why }, 'client session closed');
  }

  #countSessions(): void {
    void this.#deps.store.count().then((n) => this.#deps.metrics.sessions.set(n));
  }
}

function refuse(res: ServerResponse, r: HttpRefusal): undefined {
  writeJson(res, r.status, { jsonrpc: '2.0', error: { code: r.code, message: r.message }, id: null });
  return undefined;
}

/**
 * What changed, with a digest of each new list (of the aggregator's fingerprint, its JSON text): the bus delivers a
 * change only if the list really differs.
 */
export function listChanges(
  fingerprints: Readonly<Record<ListChangeKind, string>>,
  kinds: ReadonlySet<ListChangeKind>,
): ListChange[] {
  return [...kinds].map((kind) => ({
    kind,
    digest: createHash('sha256').update(fingerprints[kind]).digest('base64url'),
  }));
}
