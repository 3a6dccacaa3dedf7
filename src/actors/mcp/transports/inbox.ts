// The Streamable HTTP transport's bookkeeping of requests in flight, apart from the HTTP it speaks: which hooks belong
// to which request, which server-to-client requests arrived on which request's response stream, and the one queue
// through which every incoming message reaches the SDK in order.
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { redactErrorResponse } from '../http/body.ts';
import { isNotification, isRequest } from '../jsonrpc.ts';
import type { Redactor } from '../redactor.ts';
import { RequestSlots } from '../request-slots.ts';
import { keepJsonText } from './raw-json.ts';
import type { RequestHooks } from './types.ts';

export interface InFlight {
  abort: AbortController;
  hooks: RequestHooks | undefined;
}

/** Server requests remembered at the most (the oldest is forgotten first): a server cannot grow this without bound. */
const MAX_SERVER_REQUESTS = 10_000;

export class Inbox {
  readonly #redactor: Redactor;
  readonly #onMessage: (message: JSONRPCMessage) => void;
  /** By request id (request-slots.ts: added and removed on every call). */
  readonly #inFlight = new RequestSlots<InFlight>();
  /** Server-to-client requests that arrived on a request's response stream: server request id -> our request id. */
  readonly #serverRequests = new Map<RequestId, RequestId>();
  #pendingHooks: RequestHooks | undefined;
  /** Incoming messages are handed to the session client one per microtask turn, in order (see deliver). */
  #dispatch: Promise<void> = Promise.resolve();

  /** `onMessage` hands a message to the session client (the transport's `onmessage`, read at delivery time). */
  constructor(redactor: Redactor, onMessage: (message: JSONRPCMessage) => void) {
    this.#redactor = redactor;
    this.#onMessage = onMessage;
  }

  bindNextRequest(hooks: RequestHooks | undefined): void {
    this.#pendingHooks = hooks;
  }

  /** Start tracking request `id` with the hooks bound for it. Must run before the send's first await. */
  claim(id: RequestId): InFlight {
    const flight: InFlight = { abort: new AbortController(), hooks: this.#pendingHooks };
    this.#pendingHooks = undefined;
    this.#inFlight.set(id, flight);
    return flight;
  }

  /** Stop tracking a request whose send failed: no response will come for it. */
  forget(id: RequestId): void {
    this.#inFlight.delete(id);
  }

  /**
   * Hand a message to the session client; a request's own log notifications go to its caller instead. Queued:
   * the SDK runs notification handlers a microtask later but handles responses at once, so a progress notification
   * and the response parsed from the same chunk would otherwise arrive response-first and the progress be lost.
   * `text` is the JSON the message was parsed from: the answer to a request bound with `keepResultText` keeps it.
   */
  deliver(message: JSONRPCMessage, relatedTo: RequestId | undefined, text?: string): void {
    if (text !== undefined && 'result' in message && message.id === relatedTo) {
      if (this.#inFlight.get(relatedTo)?.hooks?.keepResultText) keepJsonText(message.result, text);
    }
    this.#dispatch = this.#dispatch.then(() => this.#deliverNow(message, relatedTo));
  }

  hooksForServerRequest(id: RequestId): RequestHooks | undefined {
    const related = this.#serverRequests.get(id);
    this.#serverRequests.delete(id);
    return related === undefined ? undefined : this.#inFlight.get(related)?.hooks;
  }

  /** The request is answered: forget it after the messages already queued for it were delivered (they may need its hooks). */
  finish(id: RequestId): void {
    this.#dispatch = this.#dispatch.then(() => {
      this.#inFlight.delete(id);
    });
  }

  /** The caller gave up on the request: stop reading its response stream now. */
  cancel(id: RequestId): void {
    this.#inFlight.get(id)?.abort.abort();
    this.#inFlight.delete(id);
  }

  /** Fail one request: the SDK sees an error response for it, so its caller gets an error now, not a timeout. */
  fail(id: RequestId, message: string): void {
    this.finish(id);
    this.deliver(
      {
        jsonrpc: '2.0',
        id,
        error: { code: -32603, message: `mcpre: ${message}`, data: { mcpre: 'responseStreamFailed' } },
      },
      undefined,
    );
  }

  /** The transport closed: every request's I/O stops (each reads its own flight's signal, nothing else). */
  clear(): void {
    for (const flight of this.#inFlight.values()) flight.abort.abort();
    this.#inFlight.clear();
  }

  #deliverNow(received: JSONRPCMessage, relatedTo: RequestId | undefined): void {
    const message = redactErrorResponse(received, this.#redactor);
    if (relatedTo !== undefined && isRequest(message)) {
      this.#serverRequests.set(message.id, relatedTo);
      if (this.#serverRequests.size > MAX_SERVER_REQUESTS)
        this.#serverRequests.delete(this.#serverRequests.keys().next().value as RequestId);
    }
    if (relatedTo !== undefined && isNotification(message) && message.method === 'notifications/message') {
      const onLog = this.#inFlight.get(relatedTo)?.hooks?.onLog;
      if (onLog) {
        onLog(message.params as never);
        return;
      }
    }
    this.#onMessage(message);
  }
}
