// The answer to one POST, in both eras: one JSON body, unless a related message (progress, a log line the client asked
// for, a server request) comes before the result; then the answer becomes an SSE stream scoped to the request that
// ends with the result (or, for a 2025 batch, with the last of its results). A 2026-07-28 stream has no event ids and
// the client closing the response is the request's cancellation. A 2025-era session's stream is resumable: each event
// gets an id from the session's event log (`StreamLog`), a priming event opens it, and a closed connection cancels
// nothing (the spec: disconnection is not cancellation); what is sent after it still goes to the log and `orphan`.
// Keep-alive comments go to every open SSE stream of an owner from one timer (`KeepAlive`).
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { resultJsonText } from '../actors/mcp/transports/raw-json.ts';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  // Reverse proxies (nginx) would otherwise hold events back.
  'x-accel-buffering': 'no',
} as const;

export const sseEvent = (message: unknown, id?: string) =>
  id === undefined
    ? `event: message\ndata: ${messageJson(message)}\n\n`
    : `event: message\nid: ${id}\ndata: ${messageJson(message)}\n\n`;

/**
 * A message's JSON text. An answer whose result a backend sent and nobody changed (transports/raw-json.ts) carries
 * the backend's own text of it under our envelope and the client's id: the result is not serialised again.
 */
export function messageJson(message: unknown): string {
  const m = message as { jsonrpc?: unknown; id?: unknown; result?: unknown };
  const answer =
    m?.jsonrpc === '2.0' && (typeof m.id === 'string' || typeof m.id === 'number') && Object.keys(m).length === 3;
  const kept = answer ? resultJsonText(m.result) : undefined;
  if (kept === undefined) return JSON.stringify(message);
  return `{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":${kept}}`;
}

export function writeJson(
  res: ServerResponse,
  status: number,
  message: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const body = messageJson(message);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Where a resumable stream's events are logged, and who hears them once the connection is gone. */
export interface StreamLog {
  /** The answer became a stream (before its first event). */
  opened(): void;
  /** Log one event; its id goes on the wire. `final`: the stream's last event. */
  append(message: unknown, final: boolean): Promise<string>;
  /** Whether the stream opens with a priming event. */
  readonly primes: boolean;
  /** The priming event's id (logged as an empty event), with the reconnection delay to advise. */
  prime(): Promise<string>;
  retryMs: number;
  /** An event logged after the connection closed, with its id: for a resumed stream elsewhere. */
  orphan(id: string, message: unknown, final: boolean): void;
}

export interface ExchangeOptions {
  /** Sent with the answer, JSON or SSE (Mcp-Session-Id). */
  headers?: OutgoingHttpHeaders;
  /** A resumable stream (2025-era sessions); without it nothing has an id and a closed connection aborts. */
  log?: StreamLog;
  /** How many answers end the exchange (a 2025 batch); one by default. */
  answers?: number;
  /** Keep-alive comments while streaming. */
  keepAlive?: KeepAlive;
  /**
   * With a priming log: an answer still pending after this long becomes a stream anyway, opened by its priming event,
   * so that a client whose connection breaks during a long call can resume it (SEP-1699).
   */
  streamAfterMs?: number;
}

export class Exchange {
  readonly #res: ServerResponse;
  readonly #opts: ExchangeOptions;
  /** Made on first use: a 2025 exchange that is never aborted needs none. */
  #controller: AbortController | undefined;
  readonly #answers: unknown[] = [];
  #streaming = false;
  #done = false;
  #timer: NodeJS.Timeout | undefined;
  /** SSE writes in order: ids come from the log asynchronously. */
  #queue: Promise<void> = Promise.resolve();

  constructor(res: ServerResponse, opts: ExchangeOptions = {}) {
    this.#res = res;
    this.#opts = opts;
    if (!opts.log) {
      res.once('close', () => {
        if (!this.#done) this.abort(new Error('the client closed the response stream'));
      });
    } else if (opts.log.primes && opts.streamAfterMs !== undefined) {
      // Cleared by the answer; a timer that fires after the client left finds the response destroyed.
      this.#timer = setTimeout(() => {
        if (!this.#done && !this.#streaming && !res.destroyed) this.#startStream();
      }, opts.streamAfterMs);
    }
  }

  /** Aborted when the client goes away before the answer (2026-07-28 only) or when `abort` is called. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    this.#controller ??= new AbortController();
    this.#controller.abort(reason);
  }

  /** A message related to the request, sent before its answer. */
  notify(message: unknown): void {
    if (this.#done) return;
    if (!this.#streaming) this.#startStream();
    this.#send(message, false);
  }

  /** An answer; `status` applies only when nothing was streamed before it. Ends the exchange at the last answer. */
  finish(message: unknown, status = 200): void {
    if (this.#done) return;
    this.#answers.push(message);
    const last = this.#answers.length >= (this.#opts.answers ?? 1);
    if (last) {
      this.#done = true;
      clearTimeout(this.#timer);
    }
    if (this.#streaming) {
      this.#send(message, last);
      return;
    }
    if (!last) return;
    if (this.#res.destroyed) return;
    writeJson(this.#res, status, this.#answers.length === 1 ? message : this.#answers, this.#opts.headers);
  }

  #startStream(): void {
    this.#streaming = true;
    clearTimeout(this.#timer);
    const res = this.#res;
    if (!res.destroyed) {
      res.writeHead(200, { ...this.#opts.headers, ...SSE_HEADERS });
      this.#opts.keepAlive?.add(res);
    }
    // Answers collected before the switch (a batch) go out first.
    const earlier = this.#answers.slice();
    const log = this.#opts.log;
    log?.opened();
    if (log?.primes) {
      this.#queue = this.#queue
        .then(() => log.prime())
        .then(
          (id) => {
            if (!res.destroyed) res.write(`id: ${id}\nretry: ${log.retryMs}\ndata: \n\n`);
          },
          // Not logged (the store failed): no priming event, and what follows goes out live.
          () => {},
        );
    }
    for (const m of earlier) this.#send(m, false);
  }

  #send(message: unknown, final: boolean): void {
    const res = this.#res;
    const log = this.#opts.log;
    if (!log) {
      if (res.destroyed) return;
      if (final) res.end(sseEvent(message));
      else res.write(sseEvent(message));
      return;
    }
    this.#queue = this.#queue
      .then(() => log.append(message, final))
      .then(
        (id) => {
          if (res.destroyed || res.writableEnded) return log.orphan(id, message, final);
          if (final) res.end(sseEvent(message, id));
          else res.write(sseEvent(message, id));
        },
        () => {
          // Not logged (the store failed): sent live without an id, as it cannot be replayed.
          if (res.destroyed || res.writableEnded) return;
          if (final) res.end(sseEvent(message));
          else res.write(sseEvent(message));
        },
      );
  }
}

/** Keep-alive comments on open SSE streams, so idle intermediaries do not cut a quiet one. One timer for all. */
export class KeepAlive {
  readonly #streams = new Set<ServerResponse>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  /** `intervalMs` 0: none. */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  add(res: ServerResponse): void {
    if (this.#intervalMs <= 0 || res.destroyed) return;
    this.#streams.add(res);
    res.once('close', () => this.#remove(res));
    res.once('finish', () => this.#remove(res));
    this.#timer ??= setInterval(() => {
      for (const s of this.#streams) if (!s.writableEnded) s.write(': keepalive\n\n');
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #remove(res: ServerResponse): void {
    if (!this.#streams.delete(res) || this.#streams.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
