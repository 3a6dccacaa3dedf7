// Rounds of 2026-07-28 calls that wait for their client's input (suspended-calls.ts), wherever the retry arrives. A
// parked call lives in the process that ran it: its backend's request is in flight there. With replicas on a shared
// session store, the client's retry may reach another replica; that one relays it over the session bus to the process
// the requestState names, which resumes the call with the same code as a retry it received itself and sends back the
// call's notifications and how the round ended (the result, an error, or the next questions under a requestState of
// its own, so the next retry goes to it again). The holder says it is alive at once and then every third of
// `silenceMs` while the call runs; a relaying process that hears nothing for `silenceMs` (the holder is gone, or the
// store unreachable) answers the client that the call is lost and must be sent again without requestState. Messages
// go to the one process they are for (SessionBus.sendTo), so a retry naming a process that no longer receives is
// answered at once. Every message is bounded in size, and so are the relays in flight: in count, per principal, and
// in bytes (a Redis pub/sub client is cut off when its backlog grows too large, and with it every signal). The same
// holds the other way: every message the holder sends tells whether the relaying process still receives. One message
// reaching nobody proves little (that process's subscription may be reconnecting, or not yet confirmed when it relayed
// the retry), but when none has got through for `silenceMs` (killed mid-call), nobody can take the call's answer any
// more (the relaying side gives up after that long anyway), so the holder cancels the call.
import type { Logger } from 'pino';
import { ErrorCode } from '../../api/mcp-errors.ts';
import { type RuntimeClock, systemClock } from '../../runtime/clock.ts';
import type { GatewayMetrics } from '../metrics.ts';
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
  /** The largest message one replica hands another. */
  maxBytes: 1024 * 1024,
  /** Relayed retries waiting here at once. */
  maxRelayed: 1_000,
  /** Relayed retries of one principal waiting here at once. */
  maxRelayedPerSubject: 64,
  /** The retries' bytes of the relays waiting here (below Redis's 8 MiB pub/sub soft limit). */
  maxBytesInFlight: 4 * 1024 * 1024,
};

export interface ParkedCallRelayOptions {
  calls: SuspendedCalls;
  /** Absent: no other process can hold a call, so a requestState naming one is unknown. */
  bus?: SessionBus;
  /** The JSON-RPC error a failure of the call's method gives (and its log line). */
  render(error: unknown, method: string): RenderedError;
  logger: Logger;
  metrics?: Pick<GatewayMetrics, 'parkedCallRelays' | 'parkedCallRelaysServed' | 'measureParkedCallRelays'>;
  /** When a message to a relaying process last got through (the timers are the process's own, unreferenced). */
  clock?: Pick<RuntimeClock, 'now'>;
  silenceMs?: number;
  maxBytes?: number;
  maxRelayed?: number;
  maxRelayedPerSubject?: number;
  maxBytesInFlight?: number;
}

const UNKNOWN = 'Invalid params: the requestState is unknown, expired, already used, or not for this request';
const SEND_AGAIN = 'send the request again without requestState and inputResponses';

const failure = (code: number, message: string): ParkedCallOutcome => ({
  kind: 'error',
  status: 200,
  error: { code, message },
});
const busy = (why: string) => failure(ErrorCode.InternalError, `the gateway is relaying ${why}; try again later`);

/** How a retry relayed from here ended (the label of `mcpre_gateway_parked_call_relays_total`). */
export type RelayOutcome =
  | 'answered'
  | 'cancelled'
  | 'lost'
  | 'holder-gone'
  | 'store-unreachable'
  | 'refused'
  | 'shutdown';

/** How a retry served here for another process ended (`mcpre_gateway_parked_call_relays_served_total`). */
export type ServedOutcome = 'answered' | 'cancelled' | 'relayer-gone' | 'store-unreachable' | 'shutdown';

/** A retry relayed from here: where it went, what it holds, what to do with the holder's messages. */
interface Relayed {
  owner: string;
  subject: string;
  bytes: number;
  deliver(message: ParkedCallMessage): void;
  end(outcome: ParkedCallOutcome, why: RelayOutcome): void;
}

/** The process relaying a retry served here, and when a message to it last got through (it still received). */
interface Link {
  from: string;
  through: number;
}

/** A call resumed here for a retry another process received; `why` it was cut short, if it was. */
interface Serving {
  controller: AbortController;
  link: Link;
  why?: ServedOutcome;
}

/**
 * A round served here for another process that ended with a new question: a late cancel still reaches its call. The
 * round's answer, when it reached nobody, is sent once more as the entry expires: the relaying process may have only
 * been reconnecting, and when that one reaches nobody too, it is gone and the call is cancelled.
 */
interface Answered {
  retry: ParkedCallRetry;
  timer: NodeJS.Timeout;
  unheard?: ParkedCallMessage;
}

export class ParkedCallRelay {
  readonly #o: ParkedCallRelayOptions & typeof RELAY_DEFAULTS & { clock: Pick<RuntimeClock, 'now'> };
  /** Retries relayed from here, by ref. */
  readonly #relayed = new Map<string, Relayed>();
  #bytesInFlight = 0;
  /** Calls resumed here for a retry another process received, by ref. */
  readonly #serving = new Map<string, Serving>();
  /** Rounds served here that parked the call again, by ref, for `silenceMs`: the relay may have given up meanwhile. */
  readonly #answered = new Map<string, Answered>();
  readonly #off: () => void;
  #next = 0;

  constructor(opts: ParkedCallRelayOptions) {
    this.#o = { ...RELAY_DEFAULTS, clock: systemClock, ...opts };
    opts.metrics?.measureParkedCallRelays(() => ({ relaying: this.#relayed.size, serving: this.#serving.size }));
    this.#off = opts.bus?.receive(opts.calls.owner, (ref, message) => this.#receive(ref, message)) ?? (() => {});
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

  /** Shutting down: relays waiting here fail and their calls are cancelled, calls resumed here for others too. */
  close(): void {
    // The cancels leave while this process still receives: a holder's message meanwhile must not find it gone.
    for (const [ref, { owner, end }] of [...this.#relayed]) {
      this.#send(owner, ref, { kind: 'cancel' });
      end(shuttingDown, 'shutdown');
    }
    this.#off();
    for (const serving of this.#serving.values()) this.#cutShort(serving, 'shutdown', 'the gateway is shutting down');
    for (const { timer } of this.#answered.values()) clearTimeout(timer);
    this.#answered.clear();
  }

  #here(retry: ParkedCallRetry, signal: AbortSignal, notify: (message: unknown) => void): Promise<ParkedCallOutcome> {
    const call = this.#o.calls.take(retry.token, retry.subject, retry.target);
    if (!call) return Promise.resolve(failure(ErrorCode.InvalidParams, UNKNOWN));
    call.attach(signal, notify);
    call.answer(retry.inputResponses);
    return this.settle(call, retry);
  }

  #relay(owner: string, retry: ParkedCallRetry, signal: AbortSignal, notify: (message: unknown) => void) {
    const { silenceMs, logger } = this.#o;
    const retryMessage: ParkedCallMessage = { kind: 'retry', from: this.#o.calls.owner, ...retry };
    const bytes = this.#size(retryMessage);
    const refused = this.#refusal(retry.subject, bytes);
    if (refused) {
      this.#o.metrics?.parkedCallRelays.inc({ outcome: 'refused' });
      return Promise.resolve(refused);
    }
    const ref = `${this.#o.calls.owner}.${++this.#next}`;
    return new Promise<ParkedCallOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: ParkedCallOutcome, why: RelayOutcome) => {
        if (this.#relayed.get(ref) !== entry) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', cancel);
        this.#relayed.delete(ref);
        this.#bytesInFlight -= bytes;
        this.#o.metrics?.parkedCallRelays.inc({ outcome: why });
        resolve(outcome);
      };
      const lost = (why: RelayOutcome, what: string) =>
        finish(
          failure(
            ErrorCode.InvalidParams,
            `Invalid params: the call this requestState continues is ${what}; ${SEND_AGAIN}`,
          ),
          why,
        );
      const silent = () => {
        logger.warn({ owner, silenceMs }, 'the gateway replica holding a parked call did not answer its retry');
        // A holder that was only stuck must not go on with a call its client is told is lost.
        this.#send(owner, ref, { kind: 'cancel' });
        lost('lost', `lost (the gateway replica holding it did not answer within ${silenceMs} ms)`);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(silent, silenceMs);
        timer.unref();
      };
      const cancel = () => {
        this.#send(owner, ref, { kind: 'cancel' });
        finish(
          failure(ErrorCode.InternalError, 'Request cancelled: the client closed the response stream'),
          'cancelled',
        );
      };
      const entry: Relayed = {
        owner,
        subject: retry.subject,
        bytes,
        deliver: (message) => {
          if (message.kind === 'done') return finish(message.outcome, 'answered');
          arm();
          if (message.kind === 'notify') notify(message.message);
        },
        end: finish,
      };
      this.#relayed.set(ref, entry);
      this.#bytesInFlight += bytes;
      arm();
      if (signal.aborted) return cancel();
      signal.addEventListener('abort', cancel, { once: true });
      this.#o.bus?.sendTo(owner, ref, retryMessage).then(
        (delivered) => {
          if (!delivered) lost('holder-gone', 'unknown or lost (no gateway replica holds it)');
        },
        () =>
          lost(
            'store-unreachable',
            'lost (the session store, through which gateway replicas reach each other, is unreachable)',
          ),
      );
    });
  }

  /** Why a retry of `bytes` by `subject` is not relayed: too large, or the relays waiting here are at a bound. */
  #refusal(subject: string, bytes: number): ParkedCallOutcome | undefined {
    const { maxRelayed, maxRelayedPerSubject, maxBytes, maxBytesInFlight } = this.#o;
    if (bytes > maxBytes) {
      const message = `Invalid params: the inputResponses (${bytes} bytes) are larger than the ${maxBytes} bytes one gateway replica may pass to another`;
      return failure(ErrorCode.InvalidParams, message);
    }
    if (this.#relayed.size >= maxRelayed) return busy(`${maxRelayed} retries already`);
    let ofSubject = 0;
    for (const relayed of this.#relayed.values()) if (relayed.subject === subject) ofSubject++;
    if (ofSubject >= maxRelayedPerSubject) return busy(`${maxRelayedPerSubject} retries of this principal already`);
    if (this.#bytesInFlight + bytes > maxBytesInFlight) return busy(`${maxBytesInFlight} bytes of retries already`);
    return undefined;
  }

  #receive(ref: string, message: ParkedCallMessage): void {
    if (message.kind === 'retry') void this.#serve(ref, message);
    else if (message.kind === 'cancel') this.#cancelServed(ref, 'cancelled', 'the client closed the response stream');
    else this.#relayed.get(ref)?.deliver(message);
  }

  /** The call served for `ref` ends: the one running, or the one its last round parked again. */
  #cancelServed(ref: string, why: ServedOutcome, reason: string): void {
    const serving = this.#serving.get(ref);
    if (serving) this.#cutShort(serving, why, reason);
    const answered = this.#answered.get(ref);
    if (!answered) return;
    clearTimeout(answered.timer);
    this.#answered.delete(ref);
    const { retry } = answered;
    this.#o.calls.take(retry.token, retry.subject, retry.target)?.cancel(new Error(reason));
  }

  #cutShort(serving: Serving, why: ServedOutcome, reason: string): void {
    serving.why ??= why;
    serving.controller.abort(new Error(reason));
  }

  /** A retry another process received, for a call parked here. */
  async #serve(ref: string, { kind: _, from, ...retry }: Extract<ParkedCallMessage, { kind: 'retry' }>) {
    if (this.#serving.has(ref)) return;
    const link: Link = { from, through: this.#o.clock.now() };
    const serving: Serving = { controller: new AbortController(), link };
    this.#serving.set(ref, serving);
    const reply = (message: ParkedCallMessage) => this.#reply(ref, link, message);
    void reply({ kind: 'alive' });
    const beat = setInterval(() => void reply({ kind: 'alive' }), Math.max(1, Math.floor(this.#o.silenceMs / 3)));
    beat.unref();
    let outcome: ParkedCallOutcome;
    try {
      outcome = await this.#here(retry, serving.controller.signal, (message) => {
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
    if (outcome.kind === 'input') this.#remember(ref, { ...retry, token: outcome.requestState }, link);
    const done: ParkedCallMessage = { kind: 'done', outcome };
    const sent: ParkedCallMessage = this.#fits(done, 'the answer of a relayed call')
      ? done
      : {
          kind: 'done',
          outcome: failure(
            ErrorCode.InternalError,
            `the answer to this call is larger than the ${this.#o.maxBytes} bytes one gateway replica may pass to another; ${SEND_AGAIN}`,
          ),
        };
    const delivered = await reply(sent);
    const answered = this.#answered.get(ref);
    if (delivered === false && answered) answered.unheard = sent;
    const ended = delivered === undefined ? 'store-unreachable' : delivered ? 'answered' : 'relayer-gone';
    this.#o.metrics?.parkedCallRelaysServed.inc({ outcome: serving.why ?? ended });
  }

  /** A message to the process relaying `ref`; whether it still receives (undefined: the store did not answer). */
  async #reply(ref: string, link: Link, message: ParkedCallMessage): Promise<boolean | undefined> {
    const delivered = await this.#o.bus?.sendTo(link.from, ref, message).catch(() => undefined);
    if (delivered) link.through = this.#o.clock.now();
    else if (delivered === false && this.#o.clock.now() - link.through >= this.#o.silenceMs) {
      this.#relayerGone(ref, link.from);
    }
    return delivered;
  }

  /**
   * The process relaying a retry served here no longer receives (killed mid-call): nobody can take the call's answer,
   * so the call is cancelled as its client's cancellation would, running or parked again by the round just ended.
   */
  #relayerGone(ref: string, relayer: string): void {
    const serving = this.#serving.get(ref);
    if (serving?.why !== undefined || (!serving && !this.#answered.has(ref))) return;
    this.#o.logger.warn(
      { relayer },
      'the gateway replica relaying a retry of a call parked here is gone: call cancelled',
    );
    this.#cancelServed(ref, 'relayer-gone', 'the gateway replica relaying the retry is gone');
  }

  /** The relay may give up just before this round's answer reaches it: its cancel then finds the call parked anew. */
  #remember(ref: string, retry: ParkedCallRetry, link: Link): void {
    const expire = async () => {
      const { unheard } = entry;
      entry.unheard = undefined;
      // A second miss, `silenceMs` after the round's answer, finds the relaying process gone (#reply).
      if (unheard) await this.#reply(ref, link, unheard);
      if (this.#answered.get(ref) === entry) this.#answered.delete(ref);
    };
    const timer = setTimeout(() => void expire(), this.#o.silenceMs);
    timer.unref();
    const entry: Answered = { retry, timer };
    this.#answered.set(ref, entry);
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

  /** Best effort: a message lost shows as the holder's silence (the bus logs an unreachable store). */
  #send(to: string, ref: string, message: ParkedCallMessage): void {
    this.#o.bus?.sendTo(to, ref, message).catch(() => undefined);
  }
}

const shuttingDown = failure(ErrorCode.InternalError, 'the gateway is shutting down');
