// Server-to-client requests for a 2026-07-28 client. Such a client cannot be sent a request: it takes questions only
// as an `input_required` result (multi round-trip requests). When a 2025-era backend sends sampling, elicitation or
// roots during a 2026 client's call, the gateway answers the client's call with an `input_required` result carrying
// that request, keeps the backend's call and its request waiting, and mints the `requestState` that brings the
// client's retry back to them: the retry's `inputResponses` answer the backend's request and the call goes on, to
// its result or to the next question. A parked call is bound to the principal that made it and to its request (the
// method and the tool, prompt or resource it names), and
// waits a bounded time (then it is cancelled and the backend's request fails); the state is a random token the
// client cannot forge, and it is good for one retry. The token names the process holding the call, so that a retry
// received by another replica is relayed to it (parked-call-relay.ts).
import { randomBytes } from 'node:crypto';
import type { ServerRequest } from '../server-requests.ts';

type Result = Record<string, unknown>;

/** Tokens minted here start so; other `requestState` values belong to a 2026 backend and go to it unchanged. */
export const STATE_PREFIX = 'mcpre-suspended:';

export type Step =
  | { kind: 'result'; result: Result }
  | { kind: 'error'; error: unknown }
  | { kind: 'input'; inputRequests: Record<string, ServerRequest> };

interface Question {
  key: string;
  request: ServerRequest;
  resolve(result: Result): void;
  reject(error: Error): void;
}

/** One client call whose backend may ask questions; the answers come on the client's later retries. */
export class SuspendableCall {
  readonly #abort = new AbortController();
  /** Asked of the client (in an input_required result), not yet answered. */
  readonly #asked = new Map<string, Question>();
  /** Arrived from the backend since the client was last answered. */
  readonly #queued: Question[] = [];
  #outcome: Step | undefined;
  #wake: (() => void) | undefined;
  #next = 0;
  #notify: ((message: unknown) => void) | undefined;
  #detach: (() => void) | undefined;

  /** Aborted when the call is given up: its client went away, or its retry never came. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Run the call (its backend's server requests go to `ask`). */
  start(run: () => Promise<Result>): void {
    run().then(
      (result) => this.#settle({ kind: 'result', result }),
      (error: unknown) => this.#settle({ kind: 'error', error }),
    );
  }

  /** The exchange answering the client now: its notifications go there, its abort cancels the call (for its reason). */
  attach(signal: AbortSignal, notify: (message: unknown) => void): void {
    const cancel = () =>
      this.cancel(signal.reason instanceof Error ? signal.reason : new Error('the client closed the response stream'));
    signal.addEventListener('abort', cancel, { once: true });
    this.#notify = notify;
    this.#detach = () => signal.removeEventListener('abort', cancel);
  }

  notify(message: unknown): void {
    this.#notify?.(message);
  }

  /** Answers from the client's retry; questions it left unanswered are asked again. */
  answer(responses: unknown): void {
    if (!responses || typeof responses !== 'object' || Array.isArray(responses)) return;
    for (const [key, value] of Object.entries(responses as Record<string, unknown>)) {
      const question = this.#asked.get(key);
      if (!question || !value || typeof value !== 'object') continue;
      this.#asked.delete(key);
      question.resolve(value as Result);
    }
  }

  /** Wait for the call's result, or for questions the client must answer first. */
  async next(): Promise<Step> {
    for (;;) {
      if (this.#queued.length > 0) {
        for (const question of this.#queued.splice(0)) this.#asked.set(question.key, question);
      }
      if (this.#asked.size > 0 && !this.#outcome) {
        this.#detachExchange();
        const inputRequests: Record<string, ServerRequest> = {};
        for (const [key, { request }] of this.#asked) inputRequests[key] = request;
        return { kind: 'input', inputRequests };
      }
      if (this.#outcome) {
        this.#detachExchange();
        return this.#outcome;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Give the call up: the backend's questions fail and the call is cancelled. */
  cancel(reason: Error): void {
    for (const question of [...this.#asked.values(), ...this.#queued]) question.reject(reason);
    this.#asked.clear();
    this.#queued.length = 0;
    this.#abort.abort(reason);
  }

  /** A server request from the call's backend: asked of the client in the next input_required result. */
  ask(request: ServerRequest, signal: AbortSignal): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const key = `q${++this.#next}`;
      const question: Question = { key, request: { method: request.method, params: request.params }, resolve, reject };
      // The backend withdrew its request (it cancelled it, or the call ended).
      signal.addEventListener(
        'abort',
        () => {
          this.#asked.delete(key);
          const at = this.#queued.indexOf(question);
          if (at >= 0) this.#queued.splice(at, 1);
          reject(signal.reason ?? new Error('the backend withdrew its request'));
        },
        { once: true },
      );
      this.#queued.push(question);
      this.#poke();
    });
  }

  #settle(step: Step): void {
    this.#outcome = step;
    this.#poke();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #detachExchange(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#notify = undefined;
  }
}

interface Parked {
  call: SuspendableCall;
  subject: string;
  target: string;
  timer: NodeJS.Timeout;
}

export interface SuspendedCallsOptions {
  /** How long a parked call waits for the client's retry. */
  ttlMs: number;
  /** At most this many parked calls; one more is cancelled at once. */
  max: number;
}

/** Random bytes of a process's name (hex in the token) and of a token's secret part (base64url). */
const OWNER_BYTES = 6;
const SECRET_BYTES = 24;
const TOKEN_SHAPE = new RegExp(
  `^${STATE_PREFIX}([0-9a-f]{${OWNER_BYTES * 2}})\\.[A-Za-z0-9_-]{${Math.ceil((SECRET_BYTES * 4) / 3)}}$`,
);

/**
 * The process a gateway-minted requestState names (tokens are `<prefix><owner>.<secret>`, exactly as `park` makes
 * them); undefined for any other text, so a forged state names no process and is never relayed.
 */
export function ownerOf(token: string): string | undefined {
  return TOKEN_SHAPE.exec(token)?.[1];
}

export const SUSPENDED_CALL_DEFAULTS: SuspendedCallsOptions = { ttlMs: 120_000, max: 1000 };

/** Calls waiting for their client's retry, by the requestState minted for them. */
export class SuspendedCalls {
  /** This process's name in the tokens it mints (random: a restarted process is another owner). */
  readonly owner = randomBytes(OWNER_BYTES).toString('hex');
  readonly #parked = new Map<string, Parked>();
  readonly #opts: SuspendedCallsOptions;

  constructor(opts: SuspendedCallsOptions = SUSPENDED_CALL_DEFAULTS) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#parked.size;
  }

  /** Park `call` until its retry; the returned token is the requestState the client sends back. */
  park(call: SuspendableCall, subject: string, target: string): string | undefined {
    if (this.#parked.size >= this.#opts.max) {
      call.cancel(new Error(`too many calls are waiting for client input (${this.#opts.max})`));
      return undefined;
    }
    const token = `${STATE_PREFIX}${this.owner}.${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const timer = setTimeout(() => {
      this.#parked.delete(token);
      call.cancel(new Error(`the client did not retry within ${this.#opts.ttlMs} ms`));
    }, this.#opts.ttlMs);
    timer.unref();
    this.#parked.set(token, { call, subject, target, timer });
    return token;
  }

  /** The call parked under `token` for this principal and request; each token is good once. */
  take(token: string, subject: string, target: string): SuspendableCall | undefined {
    const parked = this.#parked.get(token);
    if (!parked || parked.subject !== subject || parked.target !== target) return undefined;
    this.#parked.delete(token);
    clearTimeout(parked.timer);
    return parked.call;
  }

  closeAll(): void {
    for (const [token, parked] of this.#parked) {
      this.#parked.delete(token);
      clearTimeout(parked.timer);
      parked.call.cancel(new Error('the gateway is shutting down'));
    }
  }
}
