// The deprecated HTTP+SSE transport (protocol 2024-11-05), on the same HTTP client as Streamable HTTP (its `calls`:
// plain-http origins on our HTTP/1.1 connections, TLS ones on undici) so that headers, TLS and size caps are the
// same. The session is bound to the SSE connection: the server names a POST endpoint in its first `endpoint` event;
// when the stream closes the session is gone (the SDK's client would silently reconnect and pick up a new endpoint,
// i.e. a new uninitialized session, which is exactly the stale-session bug this project exists to avoid), so a closed
// stream is reported as a session loss and the machine re-initializes.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { BackendError, httpError, protocolError, sessionLostError } from '../errors.ts';
import { drain, mediaType, redactErrorResponse } from '../http/body.ts';
import { REPEATABLE_METHODS, sendSessionRequest } from '../http/session-request.ts';
import { readSse } from '../http/sse.ts';
import { statusDetail } from '../http/status-detail.ts';
import { isRequest } from '../jsonrpc.ts';
import type { ConnectionEvent, NotificationStreamHandlers, NotificationStreamOutcome } from '../protocol.ts';
import { parseMessage } from './messages.ts';
import type { McpTransport, RequestHooks, TransportOptions } from './types.ts';

export class LegacySseTransport implements McpTransport {
  readonly kind = 'sse' as const;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  onConnectionEvent?: (event: ConnectionEvent) => void;

  readonly #o: TransportOptions;
  readonly #abort = new AbortController();
  #started: Promise<void> | undefined;
  #endpoint: URL | undefined;
  #protocolVersion: string | undefined;
  #pendingHooks: RequestHooks | undefined;
  #ended: Promise<string>;
  #markEnded!: (why: string) => void;
  #closed = false;
  /** One message per microtask turn, in order (the SDK handles notifications a turn later than responses). */
  #dispatch: Promise<void> = Promise.resolve();

  constructor(options: TransportOptions) {
    this.#o = options;
    this.#ended = new Promise((resolve) => {
      this.#markEnded = resolve;
    });
  }

  /**
   * The session's identity: the endpoint the server named for it. Undefined until initialize completed (a session id
   * is what says a session was initialized).
   */
  get sessionId(): string | undefined {
    if (!this.#endpoint || this.#protocolVersion === undefined) return undefined;
    return this.#endpoint.searchParams.get('sessionId') ?? `${this.#endpoint.pathname}${this.#endpoint.search}`;
  }

  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
  }

  bindNextRequest(hooks: RequestHooks | undefined): void {
    this.#pendingHooks = hooks;
  }

  /** Open the SSE stream and wait for the endpoint event. Idempotent: initialize calls it again. */
  start(): Promise<void> {
    this.#started ??= this.#open();
    return this.#started;
  }

  async #open(): Promise<void> {
    const url = this.#o.url;
    const signal = this.#abort.signal;
    const headers = { ...(await this.#o.headers(signal)), accept: 'text/event-stream' };
    const res = await sendSessionRequest(
      this.#o.http,
      { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers, bodyTimeout: 0 },
      signal,
      'GET (SSE)',
      true,
    );
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw httpError(res.statusCode, 'GET (SSE)', await statusDetail(res, url, this.#o.redactor));
    }
    if (mediaType(res.headers) !== 'text/event-stream') {
      await drain(res.body);
      throw protocolError(
        `GET (SSE): expected text/event-stream, got ${JSON.stringify(mediaType(res.headers) ?? 'none')}`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      readSse(res.body, this.#o.http.limits.maxEventBytes, {
        onEvent: (event) => {
          if (event.event === 'endpoint') {
            if (this.#endpoint) return;
            let endpoint: URL;
            try {
              endpoint = new URL(event.data, url);
            } catch {
              return reject(protocolError('GET (SSE): the endpoint event does not hold a URL'));
            }
            if (endpoint.origin !== url.origin) {
              return reject(protocolError(`GET (SSE): the endpoint is on another origin (${endpoint.origin})`, false));
            }
            this.#endpoint = endpoint;
            return resolve();
          }
          if (event.event && event.event !== 'message') return;
          const parsed = parseMessage(event.data);
          if (!parsed) {
            this.#o.log.warn('malformed JSON-RPC event on the SSE stream: skipped');
            return;
          }
          const message = redactErrorResponse(parsed, this.#o.redactor);
          this.#dispatch = this.#dispatch.then(() => this.onmessage?.(message));
        },
      }).then(
        () => this.#end('the server closed the SSE stream'),
        (err: unknown) => this.#end(err instanceof Error ? err.message : String(err)),
      );
      void this.#ended.then((why) => {
        if (!this.#endpoint) reject(protocolError(`GET (SSE): the stream ended before the endpoint event (${why})`));
      });
    });
  }

  #end(why: string): void {
    this.#markEnded(why);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const hooks = isRequest(message) ? this.#pendingHooks : undefined;
    if (isRequest(message)) this.#pendingHooks = undefined;
    const endpoint = this.#endpoint;
    if (!endpoint || this.#closed) {
      throw new BackendError({ kind: 'aborted', retryable: true, message: 'SSE transport not connected' });
    }
    const what = `POST ${'method' in message ? message.method : 'response'}`;
    const headers: Record<string, string> = {
      ...(await this.#o.headers(this.#abort.signal)),
      'content-type': 'application/json',
    };
    if (this.#protocolVersion !== undefined) headers['mcp-protocol-version'] = this.#protocolVersion;
    const res = await sendSessionRequest(
      this.#o.http,
      {
        origin: endpoint.origin,
        path: `${endpoint.pathname}${endpoint.search}`,
        method: 'POST',
        headers,
        body: JSON.stringify(message),
      },
      this.#abort.signal,
      what,
      'method' in message && REPEATABLE_METHODS.has(message.method),
    );
    hooks?.onStatus?.(res.statusCode);
    if (res.statusCode === 404) {
      // The endpoint carries the session: a 404 there is the session gone.
      await drain(res.body);
      throw sessionLostError(what);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw httpError(res.statusCode, what, await statusDetail(res, endpoint, this.#o.redactor));
    }
    await drain(res.body);
  }

  async openNotificationStream(options: {
    lastEventId: string | undefined;
    signal: AbortSignal;
    handlers: NotificationStreamHandlers;
  }): Promise<NotificationStreamOutcome> {
    // The SSE stream opened in start() is the notification stream; this attempt lasts as long as it does.
    options.handlers.onOpen();
    const aborted = new Promise<undefined>((resolve) => {
      if (options.signal.aborted) resolve(undefined);
      options.signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    const why = await Promise.race([this.#ended, aborted]);
    if (why === undefined) return { kind: 'ended' };
    throw new BackendError({
      kind: 'sessionLost',
      retryable: true,
      message: `SSE stream closed (${why}); the 2024-11-05 transport binds the session to it`,
    });
  }

  /** The 2024-11-05 transport has one stream for everything: server requests cannot be tied to a client request. */
  hooksForServerRequest(): RequestHooks | undefined {
    return undefined;
  }

  async terminate(): Promise<void> {
    // The 2024-11-05 transport has no DELETE: closing the stream ends the session.
    await this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#end('closed by the client');
    this.onclose?.();
  }
}
