// Requests a transport sends on its own, past the session client (session-client.ts): a tools/call whose result the
// gateway relays as the backend's bytes (raw-json.ts). The session client's rules are kept: an error response becomes
// McpError with the server's code, message and data; no answer within the timeout is McpError RequestTimeout (with
// `data.timeout`); a caller that gives up tells the server with `notifications/cancelled`; a closed transport fails
// what is waiting with ConnectionClosed. Ids are negative integers (-1, -2, ...): the session client counts up from 0
// on the same session, so the two never meet, and an integer id suits servers that were only ever sent numbers.
// Log notifications and server requests on the call's own stream reach its hooks through the transport's Inbox, as
// for the session client's requests; progress is not asked for (a caller that wants progress goes through it).
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '../../../api/mcp-errors.ts';
import type { ActorClock } from '../clock.ts';
import { isErrorResponse } from '../jsonrpc.ts';
import { keepJsonText } from './raw-json.ts';
import type { RequestHooks } from './types.ts';

export interface RawCallOptions {
  hooks: RequestHooks;
  signal?: AbortSignal;
  timeoutMs: number;
}

interface Waiter {
  settle(message: JSONRPCMessage | Error): void;
}

export interface RawCallDeps {
  clock: ActorClock;
  /** Sends one message (the transport's send); hooks bound right before it are claimed by a request's send. */
  send(message: JSONRPCMessage): Promise<void>;
  bindNextRequest(hooks: RequestHooks): void;
}

export class RawCalls {
  readonly #deps: RawCallDeps;
  readonly #waiting = new Map<RequestId, Waiter>();
  #issued = 0;

  constructor(deps: RawCallDeps) {
    this.#deps = deps;
  }

  /** Send `method` and resolve with the result object of its answer. */
  call(method: string, params: Record<string, unknown> | undefined, options: RawCallOptions): Promise<object> {
    const { signal, timeoutMs } = options;
    signal?.throwIfAborted();
    const { clock, send, bindNextRequest } = this.#deps;
    const id = -++this.#issued;
    const request: JSONRPCRequest = { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) };
    return new Promise<object>((resolve, reject) => {
      /** `cancelled`: why the server is told to stop (the caller gave up, or the time ran out). */
      const finish = (outcome: JSONRPCMessage | Error, cancelled?: string) => {
        if (!this.#waiting.delete(id)) return;
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (cancelled !== undefined) {
          const notification = { method: 'notifications/cancelled', params: { requestId: id, reason: cancelled } };
          void send({ jsonrpc: '2.0', ...notification }).catch(() => {});
        }
        if (outcome instanceof Error) return reject(outcome);
        if (isErrorResponse(outcome)) {
          const { code, message, data } = outcome.error;
          return reject(new McpError(code, message, data));
        }
        resolve((outcome as { result: object }).result);
      };
      const onAbort = () => {
        const reason = signal?.reason;
        const error = reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason));
        finish(error, String(reason));
      };
      const timer = clock.setTimeout(() => {
        const error = new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: timeoutMs });
        finish(error, String(error));
      }, timeoutMs);
      this.#waiting.set(id, { settle: (outcome) => finish(outcome) });
      signal?.addEventListener('abort', onAbort, { once: true });
      bindNextRequest(options.hooks);
      send(request).catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
    });
  }

  /** Keep the JSON text of an answer to one of ours for its result (raw-json.ts; a batch's text holds no one result). */
  keepText(message: JSONRPCMessage, text: string): void {
    if ('result' in message && this.#waiting.has(message.id)) keepJsonText(message.result, text);
  }

  /** A response that arrived: settles its call and returns true, or false when it is not for one of ours. */
  receive(message: JSONRPCMessage): boolean {
    if (!('id' in message) || 'method' in message || message.id === undefined) return false;
    const waiter = this.#waiting.get(message.id);
    if (!waiter) return false;
    waiter.settle(message);
    return true;
  }

  /** The transport closed: everything still waiting fails as the session client fails its requests. */
  closeAll(): void {
    for (const waiter of [...this.#waiting.values()]) {
      waiter.settle(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    }
  }
}
