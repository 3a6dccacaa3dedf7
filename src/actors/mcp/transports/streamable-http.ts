// MCP Streamable HTTP (2025-11-25, also 2025-06-18 and 2025-03-26) behind the SDK's Transport interface, every
// request through the HTTP client's `calls` (../http/http-client.ts: our HTTP/1.1 for plain http, undici for TLS).
// Ours instead of the SDK's because the session rules must hold exactly: Mcp-Session-Id and MCP-Protocol-Version on
// every request after initialization (POST, GET and DELETE); a 404 (or a 400 saying so: http/session-loss.ts) for a
// request that carried the session id is a session loss, reported as such and never papered over; the GET stream is
// one attempt at a time, driven by the backend-session machine (resumption with Last-Event-ID, backoff, 405); a POST
// response stream that drops before its response is resumed with GET + Last-Event-ID after the server's `retry` wait;
// responses and events are size-capped.
import type { TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { backoffMs } from '../../../api/backoff.ts';
import { sleep } from '../clock.ts';
import { BackendError, httpError, networkError, protocolError, sessionLostError } from '../errors.ts';
import { type AnswerLike, drain, header, mediaType, readCappedText } from '../http/body.ts';
import type { HttpAnswer } from '../http/dispatch-response.ts';
import { readSessionAnswer } from '../http/session-loss.ts';
import { REPEATABLE_METHODS, sendSessionRequest } from '../http/session-request.ts';
import { readSse } from '../http/sse.ts';
import { statusDetail } from '../http/status-detail.ts';
import { isNotification, isRequest, isResponse } from '../jsonrpc.ts';
import { fingerprint } from '../log.ts';
import type { ConnectionEvent, NotificationStreamHandlers, NotificationStreamOutcome } from '../protocol.ts';
import { Inbox, type InFlight } from './inbox.ts';
import { parseBatch, parseMessage } from './messages.ts';
import { PostHeaderCache, withSession } from './post-headers.ts';
import type { McpTransport, RequestHooks, TransportOptions } from './types.ts';

/** How often a POST response stream that dropped before its response is resumed before the request fails. */
const MAX_RESUMPTIONS = 5;
/** Waits between resumptions when the server sent no `retry` (1 s doubling to 30 s, no jitter). */
const RESUMPTION_BACKOFF = { baseMs: 1000, maxMs: 30_000 };
/** The session id is echoed on every request: only visible ASCII, as the spec requires, and bounded. */
const SESSION_ID = /^[\x21-\x7e]{1,1024}$/;

export class StreamableHttpTransport implements McpTransport {
  readonly kind = 'streamable-http' as const;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  onConnectionEvent?: (event: ConnectionEvent) => void;

  readonly #o: TransportOptions;
  readonly #origin: string;
  readonly #path: string;
  readonly #abort = new AbortController();
  readonly #inbox: Inbox;
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  readonly #postHeaders = new PostHeaderCache();
  #closed = false;

  constructor(options: TransportOptions) {
    this.#o = options;
    this.#inbox = new Inbox(options.redactor, (message) => this.onmessage?.(message));
    this.#origin = options.url.origin;
    this.#path = `${options.url.pathname}${options.url.search}`;
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
  }

  bindNextRequest(hooks: RequestHooks | undefined): void {
    this.#inbox.bindNextRequest(hooks);
  }

  async start(): Promise<void> {
    // Nothing to open: Streamable HTTP connects per request.
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    // Synchronous prefix (before any await): claim the hooks bound for this request.
    const flight = isRequest(message) ? this.#inbox.claim(message.id) : undefined;
    if (isNotification(message) && message.method === 'notifications/cancelled') {
      // The caller gave up on a request: stop reading its response stream (after telling the server, below).
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) queueMicrotask(() => this.#inbox.cancel(id));
    }
    if (options?.resumptionToken) {
      throw protocolError('resumption tokens are handled inside this transport, not by callers', false);
    }
    try {
      await this.#post(message, flight);
    } catch (err) {
      if (isRequest(message)) this.#inbox.forget(message.id);
      throw err;
    }
  }

  async #post(message: JSONRPCMessage, flight: InFlight | undefined): Promise<void> {
    if (this.#closed) throw new BackendError({ kind: 'aborted', retryable: true, message: 'transport closed' });
    const what = `POST ${'method' in message ? message.method : 'response'}`;
    const carried = this.#sessionId;
    // A request's flight is aborted when the transport closes (Inbox.clear), so its signal alone covers both.
    const signal = flight ? flight.abort.signal : this.#abort.signal;
    const headers = this.#postHeaders.for(await this.#o.headers(signal), this.#sessionId, this.#protocolVersion);
    const body = JSON.stringify(message);
    // Tool calls are never repeated on a stale socket: the server may have received them.
    const repeatable = 'method' in message && REPEATABLE_METHODS.has(message.method);
    const res = await this.#send('POST', headers, body, signal, what, repeatable, isRequest(message));
    flight?.hooks?.onStatus?.(res.statusCode);
    if (flight && 'method' in message && message.method === 'initialize') {
      const granted = header(res.headers, 'mcp-session-id');
      if (granted !== undefined) {
        if (!SESSION_ID.test(granted)) {
          await drain(res.body);
          throw protocolError('initialize: the server granted an Mcp-Session-Id with characters outside 0x21-0x7E');
        }
        this.#sessionId = granted;
        this.#o.log.debug({ session: fingerprint(granted) }, 'session granted');
      }
    }
    if ((res.statusCode === 404 || res.statusCode === 400) && carried !== undefined) {
      const answer = await readSessionAnswer(res, this.#o.redactor);
      if (!answer.lost) throw httpError(res.statusCode, what, answer.detail);
      // Tell the session machine at once, whether or not this request's caller reports the loss itself.
      this.onConnectionEvent?.({ type: 'sessionLost', sessionId: carried });
      this.#o.http.trace?.event('mcp.backend.session_lost', { 'http.response.status_code': res.statusCode });
      throw sessionLostError(what, res.statusCode, answer.detail);
    }
    if (res.statusCode === 202) {
      await drain(res.body);
      return;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw httpError(res.statusCode, what, await statusDetail(res, this.#o.url, this.#o.redactor));
    }
    if (!flight || !isRequest(message)) {
      // A notification or response answered with 200 instead of 202: accepted all the same.
      await drain(res.body);
      return;
    }
    const type = mediaType(res.headers);
    if (type === 'application/json') {
      const text = await readCappedText(res.body, this.#o.http.limits.maxResponseBytes, what).catch((err: unknown) => {
        throw err instanceof BackendError ? err : networkError(err, what);
      });
      for (const parsed of parseBatch(text, what)) {
        this.#inbox.deliver(parsed, message.id, text);
      }
      this.#inbox.finish(message.id);
      return;
    }
    if (type === 'text/event-stream') {
      void this.#consumeResponseStream(message.id, flight.abort.signal, res.body);
      return;
    }
    await drain(res.body);
    throw protocolError(`${what}: unexpected content type ${JSON.stringify(type ?? 'none')}`);
  }

  /**
   * One request of this session (http/session-request.ts: the one retry on a stale keep-alive socket). An answer that
   * may be an SSE stream (a request's, the GET stream) has no body timeout: a quiet stream is not a fault, and the
   * caller's request timeout bounds a JSON one. Any other answer (202 to a notification, DELETE's) has the client's.
   */
  #send(
    method: 'POST' | 'GET' | 'DELETE',
    headers: Record<string, string>,
    body: string | null,
    signal: AbortSignal,
    what: string,
    repeatable: boolean,
    mayStream: boolean,
  ): Promise<HttpAnswer> {
    return sendSessionRequest(
      this.#o.http,
      { origin: this.#origin, path: this.#path, method, headers, body, bodyTimeout: mayStream ? 0 : null },
      signal,
      what,
      repeatable,
    );
  }

  /**
   * A request's SSE response: deliver until the response arrives. If the stream ends first and the server gave event
   * ids, wait the server's `retry` (else 1 s doubling) and resume with GET + Last-Event-ID, up to MAX_RESUMPTIONS.
   */
  async #consumeResponseStream(
    id: RequestId,
    signal: AbortSignal,
    firstBody: AsyncIterable<Uint8Array> & { destroy?(err?: Error): unknown },
  ): Promise<void> {
    let body = firstBody;
    let lastEventId: string | undefined;
    let retryMs: number | undefined;
    let answered = false;
    for (let resumption = 0; ; resumption++) {
      let problem: unknown;
      try {
        await readSse(body, this.#o.http.limits.maxEventBytes, {
          onRetry: (ms) => {
            retryMs = ms;
          },
          onEvent: (event) => {
            if (event.id) lastEventId = event.id;
            if (!event.data || (event.event && event.event !== 'message')) return;
            const message = parseMessage(event.data);
            if (!message) {
              this.#o.log.warn({ request: String(id) }, 'malformed JSON-RPC event on a response stream: skipped');
              return;
            }
            if (isResponse(message) && message.id === id) answered = true;
            this.#inbox.deliver(message, id, event.data);
          },
        });
      } catch (err) {
        problem = err;
      }
      if (answered || signal.aborted) return this.#inbox.finish(id);
      if (problem instanceof BackendError && problem.kind === 'protocol') return this.#fail(id, problem.message);
      if (lastEventId === undefined) {
        return this.#fail(id, 'the response stream ended before the response, without an event id to resume from');
      }
      if (resumption >= MAX_RESUMPTIONS) {
        return this.#fail(id, `the response stream dropped ${MAX_RESUMPTIONS + 1} times before the response`);
      }
      const wait = backoffMs(RESUMPTION_BACKOFF, resumption, { serverWaitMs: retryMs });
      if (!(await sleep(this.#o.clock, wait, signal))) return this.#inbox.finish(id);
      this.#o.http.trace?.event('mcp.backend.stream_resumed', { attempt: resumption + 1 });
      const resumed = await this.#resume(lastEventId, signal).catch((err: unknown) => err as Error);
      if (resumed instanceof Error) {
        if (signal.aborted) return this.#inbox.finish(id);
        if (resumed instanceof BackendError && resumed.kind === 'sessionLost') {
          // The backend saw this request, so it is not retried; but the session is gone for everyone.
          this.onConnectionEvent?.({ type: 'sessionLost', sessionId: this.#sessionId });
        }
        return this.#fail(id, `resuming the response stream failed: ${resumed.message}`);
      }
      body = resumed;
    }
  }

  /** A GET for an event stream; a 404 (or a 400 saying so) for a request with the session id is the session lost. */
  async #get(lastEventId: string | undefined, signal: AbortSignal, what: string): Promise<AnswerLike> {
    const carried = this.#sessionId;
    const headers = await this.#headers(signal, {
      accept: 'text/event-stream',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    });
    const res = await this.#send('GET', headers, null, signal, what, true, true);
    if ((res.statusCode === 404 || res.statusCode === 400) && carried !== undefined) {
      const answer = await readSessionAnswer(res, this.#o.redactor);
      if (answer.lost) throw sessionLostError(what, res.statusCode, answer.detail);
      return answer.res;
    }
    return res;
  }

  async #resume(lastEventId: string, signal: AbortSignal) {
    const res = await this.#get(lastEventId, signal, 'GET (resume)');
    if (res.statusCode !== 200 || mediaType(res.headers) !== 'text/event-stream') {
      const detail = await statusDetail(res, this.#o.url, this.#o.redactor);
      throw httpError(res.statusCode, 'GET (resume)', detail);
    }
    return res.body;
  }

  async openNotificationStream(options: {
    lastEventId: string | undefined;
    signal: AbortSignal;
    handlers: NotificationStreamHandlers;
  }): Promise<NotificationStreamOutcome> {
    const { lastEventId, handlers } = options;
    const what = lastEventId ? 'GET (resume)' : 'GET';
    const signal = AbortSignal.any([this.#abort.signal, options.signal]);
    const res = await this.#get(lastEventId, signal, what);
    const status = res.statusCode;
    if (status === 405) {
      await drain(res.body);
      return { kind: 'unsupported', reason: 'the server answered GET with 405 Method Not Allowed' };
    }
    if (status === 404 || status === 400 || status === 406 || status === 501) {
      // Not the spec's 405, but the same meaning in practice (no session to have lost, or a server that does not
      // route GET): retrying would repeat it forever, so there is simply no stream.
      await drain(res.body);
      return { kind: 'unsupported', reason: `the server answered GET with ${status} (a conforming server says 405)` };
    }
    if (status < 200 || status >= 300)
      throw httpError(status, what, await statusDetail(res, this.#o.url, this.#o.redactor));
    if (mediaType(res.headers) !== 'text/event-stream') {
      await drain(res.body);
      throw protocolError(
        `${what}: expected text/event-stream, got ${JSON.stringify(mediaType(res.headers) ?? 'none')}`,
      );
    }
    handlers.onOpen();
    try {
      await readSse(res.body, this.#o.http.limits.maxEventBytes, {
        onRetry: (ms) => handlers.onRetry(ms),
        onEvent: (event) => {
          if (event.id) handlers.onEventId(event.id);
          if (!event.data || (event.event && event.event !== 'message')) return;
          const message = parseMessage(event.data);
          if (!message) {
            this.#o.log.warn('malformed JSON-RPC event on the GET stream: skipped');
            return;
          }
          handlers.onMessage();
          this.#inbox.deliver(message, undefined);
        },
      });
    } catch (err) {
      // An oversized event is the server misbehaving: a failed attempt. A dropped connection is just a drop.
      if (err instanceof BackendError && err.kind === 'protocol') throw err;
      return { kind: 'ended', detail: networkError(err, what).message };
    }
    return { kind: 'ended' };
  }

  async terminate(signal: AbortSignal): Promise<void> {
    const session = this.#sessionId;
    if (session !== undefined && !this.#closed) {
      try {
        const both = AbortSignal.any([signal, this.#abort.signal]);
        const headers = await this.#headers(both, {});
        // On the per-call connections, kept alive by the POSTs: a DELETE of every session at shutdown then opens no
        // new connection per session.
        const res = await this.#send('DELETE', headers, null, both, 'DELETE', true, false);
        await drain(res.body);
        // 405: the server does not let clients end sessions; 404: already gone. Both are fine.
        this.#o.log.debug({ session: fingerprint(session), status: res.statusCode }, 'session deleted');
      } catch (err) {
        this.#o.log.debug({ err: networkError(err, 'DELETE').message }, 'DELETE of the session failed');
      }
    }
    await this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#inbox.clear();
    this.onclose?.();
  }

  async #headers(signal: AbortSignal, own: Record<string, string>): Promise<Record<string, string>> {
    return withSession(await this.#o.headers(signal), own, this.#sessionId, this.#protocolVersion);
  }

  hooksForServerRequest(id: RequestId): RequestHooks | undefined {
    return this.#inbox.hooksForServerRequest(id);
  }

  /** Fail one request: the SDK sees an error response for it, so its caller gets an error now, not a timeout. */
  #fail(id: RequestId, message: string): void {
    if (this.#closed) this.#inbox.finish(id);
    else this.#inbox.fail(id, message);
  }
}
