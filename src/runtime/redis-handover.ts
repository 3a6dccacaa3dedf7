// Where one pub/sub connection's messages end and the next one's begin, when a new connection replaces the old (a
// renewed TLS certificate, redis-connection.ts). Both are subscribed for a while, so each message of that while comes
// on both. Redis sends every subscriber of a channel its messages in one order, so a mark published once on each
// channel splits both streams at the same message: the old connection's messages are delivered up to its copy of the
// mark, the new one's after its copy, none twice, none missed, and in order (what the new one brings after the mark is
// held until the old one has reached it). Marks are never delivered, and are not JSON: a replica of an older version
// ignores them as malformed. An old connection that drops meanwhile delivers nothing more (`oldLost`): the new one's
// copies after its mark go out. Should the new one drop, or a mark not come back within a bound, `finish` ends the
// handover: the new connection's messages from then on, at the risk of messages of those moments missed or repeated.
import { randomUUID } from 'node:crypto';

const MARK_PREFIX = '\u0000mcpre-pubsub-handover ';
/** Messages of the new connection held, over all channels, before the handover is given up (see `finish`). */
const MAX_HELD = 10_000;

export function isHandoverMark(message: string): boolean {
  return message.startsWith(MARK_PREFIX);
}

export interface HandoverHooks {
  /** Hands a message to the channel's listener. */
  deliver(channel: string, message: string): void;
  /** The old connection has delivered its last message: it can be closed. */
  oldDone(): void;
  /** Both streams met on every channel (or `finish` was called): from now on the new connection alone delivers. */
  done(): void;
}

export class PubsubHandover<Connection> {
  readonly #old: Connection;
  readonly #next: Connection;
  readonly #hooks: HandoverHooks;
  /** The mark of each channel both connections were subscribed to (and still are). */
  readonly #marks: Map<string, string>;
  readonly #oldReached = new Set<string>();
  readonly #nextReached = new Set<string>();
  readonly #held = new Map<string, string[]>();
  #heldCount = 0;
  #oldEnded = false;
  #finished = false;

  constructor(old: Connection, next: Connection, channels: Iterable<string>, hooks: HandoverHooks) {
    this.#old = old;
    this.#next = next;
    this.#hooks = hooks;
    const id = randomUUID();
    this.#marks = new Map([...channels].map((channel) => [channel, `${MARK_PREFIX}${id}`]));
    if (this.#marks.size === 0) this.finish();
  }

  get marks(): ReadonlyMap<string, string> {
    return this.#marks;
  }

  /** `channel` was unsubscribed: its mark may never come back, and the handover no longer waits for it. */
  forget(channel: string): void {
    if (this.#finished || !this.#marks.delete(channel)) return;
    this.#heldCount -= this.#held.get(channel)?.length ?? 0;
    this.#held.delete(channel);
    this.#oldReached.delete(channel);
    this.#nextReached.delete(channel);
    this.#settle();
  }

  /** A message `from` one of the two connections on `channel`. */
  receive(from: Connection, channel: string, message: string): void {
    if (this.#finished) {
      if (from === this.#next && !isHandoverMark(message)) this.#hooks.deliver(channel, message);
      return;
    }
    const mark = this.#marks.get(channel);
    if (isHandoverMark(message)) {
      if (message === mark) this.#reached(from, channel);
      return;
    }
    // A channel subscribed during the handover has no mark: only the new connection has it.
    if (mark === undefined) {
      if (from === this.#next) this.#hooks.deliver(channel, message);
      return;
    }
    if (from === this.#old) {
      if (!this.#oldReached.has(channel)) this.#hooks.deliver(channel, message);
      return;
    }
    if (from !== this.#next || !this.#nextReached.has(channel)) return;
    if (this.#oldReached.has(channel)) {
      this.#hooks.deliver(channel, message);
      return;
    }
    const held = this.#held.get(channel);
    if (held) held.push(message);
    else this.#held.set(channel, [message]);
    if (++this.#heldCount > MAX_HELD) this.finish();
  }

  /** Ends the handover now: what the new connection holds is delivered, the old one is done. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const [channel, held] of this.#held) for (const message of held) this.#hooks.deliver(channel, message);
    this.#held.clear();
    this.#endOld();
    this.#hooks.done();
  }

  #endOld(): void {
    if (this.#oldEnded) return;
    this.#oldEnded = true;
    this.#hooks.oldDone();
  }

  /**
   * The old connection dropped: it delivers nothing more (a reconnected one would bring what the new one delivers), and
   * the new one delivers from its mark on each channel, what it held first.
   */
  oldLost(): void {
    if (this.#finished) return;
    for (const channel of this.#marks.keys()) {
      if (!this.#oldReached.has(channel)) this.#reached(this.#old, channel);
    }
  }

  #reached(from: Connection, channel: string): void {
    if (from === this.#old) {
      this.#oldReached.add(channel);
      const held = this.#held.get(channel) ?? [];
      this.#held.delete(channel);
      this.#heldCount -= held.length;
      for (const message of held) this.#hooks.deliver(channel, message);
    } else if (from === this.#next) {
      this.#nextReached.add(channel);
    }
    this.#settle();
  }

  /** The old stream ends once it reached every mark; the handover, once both did. */
  #settle(): void {
    if (this.#oldReached.size < this.#marks.size) return;
    this.#endOld();
    if (this.#nextReached.size < this.#marks.size) return;
    this.#finished = true;
    this.#hooks.done();
  }
}
