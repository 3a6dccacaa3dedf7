// One HTTP request through a dispatch function with a small handler, for a session's requests: its answer is the
// status, the headers and a body read as an async iterable of chunks. The dispatcher is undici's (TLS backends) or
// plain-http1-client.ts (plain-http ones), which speaks the same handler interface. undici's `request()` gives the
// same through an AsyncResource, a Node Readable with its async iterator, and its own abort wiring (a copy of the
// options and a native abort listener): several microseconds a call that a relay of a small JSON message does not need.
// What is kept: backpressure (undici is paused while more than HIGH_WATER bytes wait unread), the caller's signal
// (before the request starts it fails the call at once, and the request is dropped when undici starts it; after, it
// aborts the request and fails a body being read), and a body left early (a loop broken out of, destroy) aborts the
// request so the connection is not left half read.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CallDispatcher } from './plain-http1-client.ts';

/** The answer: what the transports read of undici's ResponseData. */
export interface HttpAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: AnswerBody;
}

/** Bytes waiting unread before undici is paused, and below which it is resumed. */
const HIGH_WATER = 64 * 1024;
const LOW_WATER = 16 * 1024;

export class AnswerBody implements AsyncIterable<Uint8Array> {
  readonly #controller: Dispatcher.DispatchController;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(controller: Dispatcher.DispatchController) {
    this.#controller = controller;
  }

  /** Whether every byte arrived (or the body failed): nothing more will come. */
  get done(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    if (this.#buffered > HIGH_WATER && !this.#controller.paused) this.#controller.pause();
    this.#wakeReader();
  }

  end(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.#error = error;
    this.#wakeReader();
  }

  /** Stop reading: the request is aborted (with `error`, which a reader then gets) unless it already finished. */
  destroy(error?: Error): void {
    if (this.done) return;
    const reason = error ?? new Error('response body destroyed before its end');
    this.fail(reason);
    this.#chunks.length = 0;
    this.#controller.abort(reason);
  }

  /** Read and discard up to `limit` bytes waiting for the end, so the connection can be reused; beyond, abort. */
  async dump(opts: { limit: number } = { limit: 64 * 1024 }): Promise<void> {
    let seen = 0;
    try {
      for await (const chunk of this) {
        seen += chunk.byteLength;
        if (seen > opts.limit) return this.destroy();
      }
    } catch {
      // Failed or destroyed: nothing left to discard.
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        const chunk = this.#chunks.shift();
        if (chunk !== undefined) {
          this.#buffered -= chunk.byteLength;
          if (this.#controller.paused && this.#buffered < LOW_WATER && !this.done) this.#controller.resume();
          yield chunk;
          continue;
        }
        if (this.#error) throw this.#error;
        if (this.#ended) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      // A reader that stopped before the end (break, return, a throw of its own) leaves nothing half read.
      if (!this.done) this.destroy();
    }
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Dispatch one request; resolves once the status and headers arrived, rejects when it fails before that. */
export function dispatchRequest(
  dispatcher: CallDispatcher,
  options: Omit<Dispatcher.DispatchOptions, 'signal'>,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let controller: Dispatcher.DispatchController | undefined;
    let body: AnswerBody | undefined;
    let settled = false;
    const onAbort = () => {
      const reason = signal.reason as Error;
      if (controller) controller.abort(reason);
      else if (!settled) {
        // Still queued for a connection: the caller hears at once; the request is dropped when undici starts it.
        settled = true;
        reject(reason);
      }
    };
    const done = () => signal.removeEventListener('abort', onAbort);
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (signal.aborted) started.abort(signal.reason as Error);
      },
      onResponseStart(started, statusCode, headers) {
        // 1xx informational answers are not the response.
        if (statusCode < 200 || settled) return;
        settled = true;
        body = new AnswerBody(started);
        resolve({ statusCode, headers, body });
      },
      onResponseData(_controller, chunk) {
        body?.push(chunk);
      },
      onResponseEnd() {
        done();
        if (body) body.end();
        else if (!settled) {
          // Only informational heads came, then the end: no answer to give.
          settled = true;
          reject(new Error('the answer ended without a final status'));
        }
      },
      onResponseError(_controller, error) {
        done();
        if (body) body.fail(error);
        else if (!settled) {
          settled = true;
          reject(error);
        }
      },
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (err) {
      done();
      settled = true;
      reject(err);
    }
  });
}
