// The answer to one 2026-07-28 request: one JSON body, unless a related notification (progress, a log line the client
// asked for) comes before the result; then the answer becomes an SSE stream scoped to the request that ends with the
// result. Nothing is resumable (no event ids). The client closing the response is the request's cancellation.
import type { ServerResponse } from 'node:http';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  // Reverse proxies (nginx) would otherwise hold events back.
  'x-accel-buffering': 'no',
} as const;

export const sseEvent = (message: unknown) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

export function writeJson(res: ServerResponse, status: number, message: unknown): void {
  const body = JSON.stringify(message);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export class ModernExchange {
  readonly #res: ServerResponse;
  readonly #controller = new AbortController();
  #streaming = false;
  #done = false;

  constructor(res: ServerResponse) {
    this.#res = res;
    res.once('close', () => {
      if (!this.#done) this.#controller.abort(new Error('the client closed the response stream'));
    });
  }

  /** Aborted when the client goes away before the answer. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** A notification related to the request, sent before its answer. */
  notify(message: unknown): void {
    if (this.#done || this.#res.destroyed) return;
    if (!this.#streaming) {
      this.#streaming = true;
      this.#res.writeHead(200, SSE_HEADERS);
    }
    this.#res.write(sseEvent(message));
  }

  /** The answer; `status` applies only when nothing was streamed before it. */
  finish(message: unknown, status = 200): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#res.destroyed) return;
    if (this.#streaming) this.#res.end(sseEvent(message));
    else writeJson(this.#res, status, message);
  }
}
