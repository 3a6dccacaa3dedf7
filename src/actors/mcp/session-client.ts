// JSON-RPC over one 2025-era transport, the client side: request ids and correlation, per-request timeouts (reset by
// progress when asked), cancellation (`notifications/cancelled` to the server), progress tokens, server-to-client
// requests and their cancellation, and `ping`. It follows the v1 SDK's Protocol where callers can tell (ids from 0,
// the progress token is the request id, the errors a request rejects with) without its schemas: results pass through
// as the server sent them (the transports checked the envelope, jsonrpc.ts), and only what this code reads is checked.
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
  Progress,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '../../api/mcp-errors.ts';
import type { ActorClock } from './clock.ts';
import { isErrorResponse, isNotification, isRequest, isResponse } from './jsonrpc.ts';
import { RequestSlots } from './request-slots.ts';
import type { McpTransport } from './transports/types.ts';

export interface SessionRequestOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  onProgress?: (progress: Progress) => void;
}

export interface SessionClientHandlers {
  /** Every notification other than progress and cancellation. */
  onNotification(notification: JSONRPCNotification): void;
  /** A server-to-client request other than `ping`; its rejection becomes the JSON-RPC error answered. */
  onRequest(request: JSONRPCRequest, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Something went wrong that no caller is waiting for (an unmatched response, a reply that could not be sent). */
  onError(err: Error): void;
}

/** A request waiting for its answer: plain data, settled by the client's methods (no closures of its own). */
interface Pending {
  id: number;
  resolve(result: Record<string, unknown>): void;
  reject(err: unknown): void;
  timeoutMs: number;
  timer: unknown;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Set when progress is asked for: each progress notification re-arms the timeout. */
  onProgress: ((progress: Progress) => void) | undefined;
}

/** A message in an error text: whole as far as 4 KiB, as the server sent it (the log pipeline redacts). */
const shown = (message: JSONRPCMessage): string => JSON.stringify(message).slice(0, 4096);

export class SessionClient {
  readonly #t: McpTransport;
  readonly #clock: ActorClock;
  readonly #h: SessionClientHandlers;
  /** Requests waiting for their answer, by our id (request-slots.ts: added and removed on every call). */
  readonly #pending = new RequestSlots<Pending>();
  /** Server-to-client requests being answered, by their id: a `notifications/cancelled` aborts the handler. */
  readonly #answering = new Map<RequestId, AbortController>();
  #nextId = 0;
  #closed = false;

  constructor(transport: McpTransport, clock: ActorClock, handlers: SessionClientHandlers) {
    this.#t = transport;
    this.#clock = clock;
    this.#h = handlers;
    transport.onmessage = (message) => this.#receive(message);
    transport.onclose = () => this.#onClose();
    transport.onerror = (err) => handlers.onError(err);
  }

  start(): Promise<void> {
    return this.#t.start();
  }

  /**
   * Send one request and wait for its result. `transport.send` is called before this returns (no await first): the
   * transports pair the hooks bound with `bindNextRequest` to the request in its synchronous prefix.
   */
  request(method: string, params: Record<string, unknown> | undefined, options: SessionRequestOptions) {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      if (this.#closed) return reject(new McpError(ErrorCode.ConnectionClosed, 'Not connected'));
      const { signal, timeoutMs, onProgress } = options;
      if (signal?.aborted) return reject(signal.reason);
      const id = this.#nextId++;
      const sent = onProgress ? { ...params, _meta: { ...(params?._meta as object), progressToken: id } } : params;
      const pending: Pending = {
        id,
        resolve,
        reject,
        timeoutMs,
        timer: undefined,
        signal,
        onAbort: undefined,
        onProgress,
      };
      this.#pending.set(id, pending);
      if (signal) {
        pending.onAbort = () => this.#cancel(id, signal.reason);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#arm(pending);
      this.#t.send({ jsonrpc: '2.0', id, method, ...(sent === undefined ? {} : { params: sent }) }).catch((err) => {
        this.#take(id)?.reject(err);
      });
    });
  }

  /** (Re)start the request's timeout. */
  #arm(pending: Pending): void {
    if (pending.timer !== undefined) this.#clock.clearTimeout(pending.timer);
    const { id, timeoutMs } = pending;
    pending.timer = this.#clock.setTimeout(
      () => this.#cancel(id, new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: timeoutMs })),
      timeoutMs,
    );
  }

  /** The request stops waiting: forgotten, its timeout and abort listener removed. Undefined if it was not waiting. */
  #take(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    this.#clock.clearTimeout(pending.timer);
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
    return pending;
  }

  /** The caller gave up (its signal) or the timeout passed: tell the server, fail the request. */
  #cancel(id: number, reason: unknown): void {
    const pending = this.#take(id);
    if (!pending) return;
    this.#t
      .send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: String(reason) },
      })
      .catch((err: unknown) => this.#h.onError(new Error(`Failed to send cancellation: ${err}`)));
    pending.reject(reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason)));
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.#t.send({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  /** Close the transport; its `onclose` fails every request still waiting. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#t.close();
    this.#onClose();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#answering.values()) controller.abort();
    this.#answering.clear();
    const error = new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
    for (const { id } of this.#pending.values()) this.#take(id)?.reject(error);
  }

  #receive(message: JSONRPCMessage): void {
    if (isResponse(message)) this.#onResponse(message);
    else if (isRequest(message)) this.#onRequest(message);
    else if (isNotification(message)) this.#onNotification(message);
    else this.#h.onError(new Error(`Unknown message type: ${shown(message)}`));
  }

  #onResponse(message: JSONRPCResultResponse | JSONRPCErrorResponse): void {
    const pending = this.#take(Number(message.id));
    if (!pending) {
      this.#h.onError(new Error(`Received a response for an unknown message ID: ${shown(message)}`));
      return;
    }
    if (isErrorResponse(message)) {
      const { code, message: text, data } = message.error;
      pending.reject(McpError.fromError(code, text, data));
    } else pending.resolve(message.result);
  }

  #onNotification(message: JSONRPCNotification): void {
    const params = message.params as Record<string, unknown> | undefined;
    if (message.method === 'notifications/progress') {
      const { progressToken, ...progress } = params ?? {};
      const pending = this.#pending.get(Number(progressToken));
      if (!pending?.onProgress) {
        this.#h.onError(new Error(`Received a progress notification for an unknown token: ${shown(message)}`));
        return;
      }
      this.#arm(pending);
      pending.onProgress(progress as Progress);
      return;
    }
    if (message.method === 'notifications/cancelled') {
      const id = params?.requestId as RequestId | undefined;
      if (id !== undefined) this.#answering.get(id)?.abort(params?.reason);
      return;
    }
    this.#h.onNotification(message);
  }

  #onRequest(request: JSONRPCRequest): void {
    const controller = new AbortController();
    this.#answering.set(request.id, controller);
    const answer =
      request.method === 'ping'
        ? Promise.resolve({})
        : Promise.resolve().then(() => this.#h.onRequest(request, controller.signal));
    answer
      .then(
        (result) => {
          if (controller.signal.aborted) return;
          return this.#t.send({ jsonrpc: '2.0', id: request.id, result });
        },
        (err: { code?: unknown; message?: string; data?: unknown }) => {
          if (controller.signal.aborted) return;
          const code = Number.isSafeInteger(err?.code) ? (err.code as number) : ErrorCode.InternalError;
          const error = {
            code,
            message: err?.message ?? 'Internal error',
            ...(err?.data === undefined ? {} : { data: err.data }),
          };
          return this.#t.send({ jsonrpc: '2.0', id: request.id, error });
        },
      )
      .catch((err: unknown) => this.#h.onError(new Error(`Failed to send response: ${err}`)))
      .finally(() => {
        if (this.#answering.get(request.id) === controller) this.#answering.delete(request.id);
      });
  }
}
