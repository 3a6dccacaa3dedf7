// Rounds of 2026-07-28 calls that wait for their client's input (suspended-calls.ts), wherever the retry arrives. A
// parked call lives in the process that ran it: its backend's request is in flight there. With replicas on a shared
// session store, the client's retry may reach another replica; that one relays it over the session bus to the process
// the requestState names, which resumes the call with the same code as a retry it received itself and sends back the
// call's notifications and how the round ended (the result, an error, or the next questions under a requestState of
// its own, so the next retry goes to it again). The holder says it is alive at once and then every third of
// `silenceMs` while the call runs; a relaying process that hears nothing for `silenceMs` (the holder is gone, or the
// store unreachable) answers the client that the call is lost and must be sent again without requestState. Every
// message is bounded in size (each replica's pub/sub connection receives it), and so are the relays in flight.
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type {
  ParkedCallMessage,
  ParkedCallOutcome,
  ParkedCallRetry,
  RenderedError,
  SessionBus,
} from '../sessions/store.ts';
import { ownerOf, type SuspendableCall, type SuspendedCalls } from './suspended-calls.ts';

export const RELAY_DEFAULTS = {
  /** How long a relayed retry may go without a word from the process holding its call. */
  silenceMs: 5_000,
  /** The largest message one replica hands another (a Redis pub/sub client is cut off at 32 MiB of backlog). */
  maxBytes: 4 * 1024 * 1024,
  /** Relayed retries waiting here at once. */
  maxRelayed: 1_000,
};

export interface ParkedCallRelayOptions {
  calls: SuspendedCalls;
  /** Absent: no other process can hold a call, so a requestState naming one is unknown. */
  bus?: SessionBus;
  /** The JSON-RPC error a failure of the call's method gives (and its log line). */
  render(error: unknown, method: string): RenderedError;
  logger: Logger;
  silenceMs?: number;
  maxBytes?: number;
  maxRelayed?: number;
}

const UNKNOWN = 'Invalid params: the requestState is unknown, expired, already used, or not for this request';

const failure = (code: number, message: string): ParkedCallOutcome => ({
  kind: 'error',
  status: 200,
  error: { code, message },
});

export class ParkedCallRelay {
  readonly #o: ParkedCallRelayOptions & typeof RELAY_DEFAULTS;
  /** Retries relayed from here, by ref: what to do with the holder's messages. */
  readonly #relayed = new Map<string, (message: ParkedCallMessage) => void>();
  /** Calls resumed here for a retry another process received, by ref. */
  readonly #serving = new Map<string, AbortController>();
  readonly #off: () => void;
  #next = 0;

  constructor(opts: ParkedCallRelayOptions) {
    this.#o = { ...RELAY_DEFAULTS, ...opts };
    this.#off =
      opts.bus?.subscribe((signal) => {
        if (signal.type === 'parked-call' && signal.to === opts.calls.owner) this.#receive(signal.ref, signal.message);
      }) ?? (() => {});
  }

  /** Run a call to the end of its round: its result or error, or its questions with the requestState for the retry. */
  async settle(call: SuspendableCall, retry: Omit<ParkedCallRetry, 'token'>): Promise<ParkedCallOutcome> {
    const step = await call.next();
    if (step.kind === 'result') return step;
    if (step.kind === 'error') return { kind: 'error', ...this.#o.render(step.error, retry.method) };
    const requestState = this.#o.calls.park(call, retry.subject, retry.target);
    if (requestState) return { kind: 'input', inputRequests: step.inputRequests, requestState };
    return failure(
      ErrorCode.InternalError,
      'the gateway cannot keep more calls waiting for client input; try again later',
    );
  }

  /**
   * A client's retry carrying a gateway-minted requestState: resumed here when the call is parked here, else relayed
   * to the process holding it. `signal`: the client closed its response; `notify`: the call's notifications.
   */
  resume(retry: ParkedCallRetry, signal: AbortSignal, notify: (message: unknown) => void): Promise<ParkedCallOutcome> {
    const owner = ownerOf(retry.token);
    if (owner === undefined || owner === this.#o.calls.owner || !this.#o.bus) return this.#here(retry, signal, notify);
    return this.#relay(owner, retry, signal, notify);
  }

  /** Shutting down: relays waiting here fail, calls resumed here for others are cancelled. */
  close(): void {
    this.#off();
    for (const deliver of [...this.#relayed.values()]) deliver({ kind: 'done', outcome: shuttingDown });
    for (const controller of this.#serving.values()) controller.abort(new Error('the gateway is shutting down'));
  }

  #here(retry: ParkedCallRetry, signal: AbortSignal, notify: (message: unknown) => void): Promise<ParkedCallOutcome> {
    const call = this.#o.calls.take(retry.token, retry.subject, retry.target);
    if (!call) return Promise.resolve(failure(ErrorCode.InvalidParams, UNKNOWN));
    call.attach(signal, notify);
    call.answer(retry.inputResponses);
    return this.settle(call, retry);
  }

  #relay(owner: string, retry: ParkedCallRetry, signal: AbortSignal, notify: (message: unknown) => void) {
    const { silenceMs, maxRelayed, logger } = this.#o;
    if (this.#relayed.size >= maxRelayed) {
      return Promise.resolve(
        failure(ErrorCode.InternalError, `the gateway is relaying ${maxRelayed} retries already; try again later`),
      );
    }
    const ref = `${this.#o.calls.owner}.${++this.#next}`;
    const retryMessage: ParkedCallMessage = { kind: 'retry', from: this.#o.calls.owner, ...retry };
    const size = this.#size(retryMessage);
    if (size > this.#o.maxBytes) {
      const message = `Invalid params: the inputResponses (${size} bytes) are larger than the ${this.#o.maxBytes} bytes one gateway replica may pass to another`;
      return Promise.resolve(failure(ErrorCode.InvalidParams, message));
    }
    return new Promise<ParkedCallOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: ParkedCallOutcome) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', cancel);
        this.#relayed.delete(ref);
        resolve(outcome);
      };
      const silent = () => {
        logger.warn({ owner, silenceMs }, 'the gateway replica holding a parked call did not answer its retry');
        // A holder that was only stuck must not go on with a call its client is told is lost.
        void this.#send(owner, ref, { kind: 'cancel' });
        finish(
          failure(
            ErrorCode.InvalidParams,
            `Invalid params: the call this requestState continues is lost (the gateway replica holding it did not answer within ${silenceMs} ms); send the request again without requestState and inputResponses`,
          ),
        );
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(silent, silenceMs);
        timer.unref();
      };
      const cancel = () => {
        void this.#send(owner, ref, { kind: 'cancel' });
        finish(failure(ErrorCode.InternalError, 'Request cancelled: the client closed the response stream'));
      };
      this.#relayed.set(ref, (message) => {
        if (message.kind === 'done') return finish(message.outcome);
        arm();
        if (message.kind === 'notify') notify(message.message);
      });
      arm();
      if (signal.aborted) return cancel();
      signal.addEventListener('abort', cancel, { once: true });
      void this.#send(owner, ref, retryMessage);
    });
  }

  #receive(ref: string, message: ParkedCallMessage): void {
    if (message.kind === 'retry') void this.#serve(ref, message);
    else if (message.kind === 'cancel')
      this.#serving.get(ref)?.abort(new Error('the client closed the response stream'));
    else this.#relayed.get(ref)?.(message);
  }

  /** A retry another process received, for a call parked here. */
  async #serve(ref: string, { kind: _, from, ...retry }: Extract<ParkedCallMessage, { kind: 'retry' }>) {
    if (this.#serving.has(ref)) return;
    const controller = new AbortController();
    this.#serving.set(ref, controller);
    const reply = (message: ParkedCallMessage) => this.#send(from, ref, message);
    void reply({ kind: 'alive' });
    const beat = setInterval(() => void reply({ kind: 'alive' }), Math.max(1, Math.floor(this.#o.silenceMs / 3)));
    beat.unref();
    let outcome: ParkedCallOutcome;
    try {
      outcome = await this.#here(retry, controller.signal, (message) => {
        if (this.#fits({ kind: 'notify', message }, 'a notification of a relayed call')) {
          void reply({ kind: 'notify', message });
        }
      });
    } catch (err) {
      outcome = { kind: 'error', ...this.#o.render(err, retry.method) };
    } finally {
      clearInterval(beat);
      this.#serving.delete(ref);
    }
    const done: ParkedCallMessage = { kind: 'done', outcome };
    await reply(
      this.#fits(done, 'the answer of a relayed call')
        ? done
        : {
            kind: 'done',
            outcome: failure(
              ErrorCode.InternalError,
              `the answer to this call is larger than the ${this.#o.maxBytes} bytes one gateway replica may pass to another; send the request again without requestState and inputResponses`,
            ),
          },
    );
  }

  #fits(message: ParkedCallMessage, what: string): boolean {
    const size = this.#size(message);
    if (size <= this.#o.maxBytes) return true;
    this.#o.logger.warn({ bytes: size, maxBytes: this.#o.maxBytes }, `${what} is too large to relay: dropped`);
    return false;
  }

  #size(message: ParkedCallMessage): number {
    return Buffer.byteLength(JSON.stringify(message));
  }

  #send(to: string, ref: string, message: ParkedCallMessage): Promise<void> {
    return this.#o.bus?.publish({ type: 'parked-call', to, ref, message }) ?? Promise.resolve();
  }
}

const shuttingDown = failure(ErrorCode.InternalError, 'the gateway is shutting down');
