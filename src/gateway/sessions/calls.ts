// The calls of 2025-era sessions in progress in this process, and the requests relayed to their clients. A client's
// `notifications/cancelled` aborts its call; a client's JSON-RPC response settles the server request it answers. Both
// can arrive at another process than the one running the call: what is not found here goes on the session bus, and
// what the bus brings is looked up here (SessionHandler wires it). Relayed requests get ids unique across processes.
import { randomBytes } from 'node:crypto';
import { RequestSlots } from '../../actors/mcp/request-slots.ts';
import { ErrorCode, McpError } from '../../api/mcp-errors.ts';
import type { Id, ResponseMessage } from './messages.ts';

type Result = Record<string, unknown>;

/** Sessions whose (possibly empty) map of calls is kept between their calls. */
const KEPT_SESSION_MAPS = 1024;
/** A session's calls by request id: a slot each while a client counts its ids up, at most 64 slots per session. */
const callSlots = () => new RequestSlots<CallChannel>(4, 64);

/** How long a client may take to answer a relayed request (the SDK's default request timeout). */
export const CLIENT_REQUEST_TIMEOUT_MS = 60_000;

interface Pending {
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/** Where a call's messages to its client go (its exchange). */
export interface CallChannel {
  notify(message: unknown): void;
  abort(reason: unknown): void;
}

/**
 * One call of a session running here, as one object (its methods shared, no closures per call): the channel its
 * client's answers and cancellation reach (`SessionCalls.begin`) and the router's `extra` (signal, ids, caller, and
 * the two ways back to the client).
 */
export class SessionCall implements CallChannel {
  readonly #calls: SessionCalls;
  readonly #exchange: Pick<CallChannel, 'notify'>;
  readonly #controller = new AbortController();
  readonly signal: AbortSignal = this.#controller.signal;
  readonly sessionId: string;
  readonly requestId: Id;
  readonly authInfo: unknown;
  readonly _meta: unknown;

  constructor(
    calls: SessionCalls,
    exchange: Pick<CallChannel, 'notify'>,
    sessionId: string,
    request: { id: Id; params?: Record<string, unknown> },
    authInfo: unknown,
  ) {
    this.#calls = calls;
    this.#exchange = exchange;
    this.sessionId = sessionId;
    this.requestId = request.id;
    this.authInfo = authInfo;
    this._meta = request.params?._meta;
  }

  notify(message: unknown): void {
    this.#exchange.notify(message);
  }

  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }

  /** A notification related to the call (progress, a log line), on its answer's stream. */
  async sendNotification(notification: { method: string }): Promise<void> {
    this.#exchange.notify({ jsonrpc: '2.0', ...notification });
  }

  /** A request to the client (relayed from the backend), sent on the call's stream and answered by a POST. */
  sendRequest(request: { method: string; params?: unknown }, _schema: unknown, options?: { signal?: AbortSignal }) {
    return this.#calls.ask(this.sessionId, this, request, options?.signal ?? this.signal);
  }
}

/** A key for a JSON-RPC id: 1 and "1" are different ids. */
const key = (id: Id) => (typeof id === 'number' ? `n${id}` : `s${id}`);

export class SessionCalls {
  readonly #calls = new Map<string, RequestSlots<CallChannel>>();
  readonly #pending = new Map<string, Map<string, Pending>>();
  readonly #prefix = randomBytes(4).toString('hex');
  readonly #timeoutMs: number;
  #next = 0;

  constructor(opts: { timeoutMs?: number } = {}) {
    this.#timeoutMs = opts.timeoutMs ?? CLIENT_REQUEST_TIMEOUT_MS;
  }

  /**
   * A call of `session` with this request id runs here until the returned function is called. A session's map stays
   * while the session lasts (`endSession` drops it), so that a session calling one call at a time adds and removes
   * nothing in the outer map per call. An end never heard here (it raced the call's start, or came from another
   * replica and was missed) would leave an empty map behind: past KEPT_SESSION_MAPS maps the oldest empty one goes.
   */
  begin(session: string, id: Id, channel: CallChannel): () => void {
    let calls = this.#calls.get(session);
    if (!calls) {
      if (this.#calls.size >= KEPT_SESSION_MAPS) this.#dropOldestEmpty();
      calls = callSlots();
      this.#calls.set(session, calls);
    }
    calls.set(id, channel);
    return () => {
      if (calls.get(id) === channel) calls.delete(id);
      if (calls.size === 0 && this.#calls.size > KEPT_SESSION_MAPS && this.#calls.get(session) === calls)
        this.#calls.delete(session);
    };
  }

  /** Sessions holding a map of calls here (at most KEPT_SESSION_MAPS once their calls have ended). */
  get sessionsHeld(): number {
    return this.#calls.size;
  }

  /** The first empty map in insertion order (the oldest session without a running call), if any. */
  #dropOldestEmpty(): void {
    for (const [session, calls] of this.#calls) {
      if (calls.size > 0) continue;
      this.#calls.delete(session);
      return;
    }
  }

  /** The client cancelled a call: abort it if it runs here. */
  cancel(session: string, requestId: unknown, reason: unknown): boolean {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return false;
    const channel = this.#calls.get(session)?.get(requestId);
    channel?.abort(new Error(typeof reason === 'string' ? reason : 'the client cancelled the request'));
    return channel !== undefined;
  }

  /** Send a request to the client on a call's stream and wait for its answer (a POST of its own). */
  ask(session: string, channel: CallChannel, request: { method: string; params?: unknown }, signal: AbortSignal) {
    const id = `${this.#prefix}-${++this.#next}`;
    return new Promise<Result>((resolve, reject) => {
      let pendings = this.#pending.get(session);
      if (!pendings) {
        pendings = new Map();
        this.#pending.set(session, pendings);
      }
      const mine = pendings;
      const k = key(id);
      const settle = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        mine.delete(k);
        if (mine.size === 0 && this.#pending.get(session) === mine) this.#pending.delete(session);
      };
      const giveUp = (reason: unknown) => {
        settle();
        channel.notify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: String((reason as Error)?.message ?? reason) },
        });
        reject(reason);
      };
      const onAbort = () => giveUp(signal.reason);
      const timer = setTimeout(
        () => giveUp(new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: this.#timeoutMs })),
        this.#timeoutMs,
      );
      timer.unref?.();
      if (signal.aborted) return giveUp(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      mine.set(k, {
        resolve: (r) => {
          settle();
          resolve(r);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      channel.notify({
        jsonrpc: '2.0',
        id,
        method: request.method,
        ...(request.params ? { params: request.params } : {}),
      });
    });
  }

  /** The client answered a relayed request: settle it if it waits here. */
  answer(session: string, response: ResponseMessage): boolean {
    const pending = this.#pending.get(session)?.get(key(response.id));
    if (!pending) return false;
    if (response.error) {
      const { code, message, data } = response.error;
      pending.reject(new McpError(code, message, data));
    } else pending.resolve(response.result ?? {});
    return true;
  }

  /** The process is shutting down: abort every call here. */
  endAll(why: string): void {
    for (const session of [...this.#calls.keys(), ...this.#pending.keys()]) this.endSession(session, why);
  }

  /** The session ended: abort its calls and fail what waits for its client. */
  endSession(session: string, why: string): void {
    const reason = new Error(`the client session ended (${why})`);
    for (const channel of this.#calls.get(session)?.values() ?? []) channel.abort(reason);
    this.#calls.delete(session);
    for (const pending of [...(this.#pending.get(session)?.values() ?? [])]) pending.reject(reason);
    this.#pending.delete(session);
  }
}
