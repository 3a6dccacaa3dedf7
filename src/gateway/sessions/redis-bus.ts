// The session bus on Redis pub/sub: every replica subscribes to one channel and hands each signal to its own
// listeners, which serve the clients whose streams that replica holds, so every client gets a signal once. A list
// change is announced only when its digest differs from the last one announced by any replica (one script compares
// and stores the digests and publishes), so the replicas that all see the same backend change announce it once. When
// Redis cannot be reached, a signal is delivered to this replica's own listeners only (its clients still hear of it;
// those of other replicas do not until Redis is back), with list changes compared against this replica's digests;
// that is logged once per outage, not per signal. A parked-call message goes to a channel of its own per receiving
// process, so only that process gets it, and PUBLISH's count of receivers tells whether that process is still there.
import type { Logger } from 'pino';
import type { RedisConnection } from '../../runtime/redis-connection.ts';
import { LISTS_CHANGED, runScript } from './redis-scripts.ts';
import type { ListChange, ParkedCallMessage, SessionBus, SessionEnd, SessionSignal } from './store.ts';

/** What the channel carries: the bus's signals, and the end of a session (published by the store's scripts). */
type BusMessage = SessionSignal | { type: 'ended'; id: string; why: SessionEnd };

export interface RedisBusOptions {
  connection: RedisConnection;
  prefix: string;
  logger: Logger;
  /** A session ended somewhere (deleted, evicted): the store tells its listeners. */
  onEnded: (id: string, why: SessionEnd) => void;
}

export class RedisBus implements SessionBus {
  readonly #o: RedisBusOptions;
  readonly #channel: string;
  readonly #listeners = new Set<(signal: SessionSignal) => void>();
  /** The digests this replica announced, for the announcements it makes alone while Redis is away. */
  readonly #digests = new Map<ListChange['kind'], string>();
  /** Redis failed the last delivery: the outage is logged once, at its first failure. */
  #failing = false;

  constructor(opts: RedisBusOptions) {
    this.#o = opts;
    this.#channel = `${opts.prefix}bus`;
    opts.connection.subscribe(this.#channel, (raw) => this.#receive(raw));
  }

  async publish(signal: Parameters<SessionBus['publish']>[0]): Promise<void> {
    const { client } = this.#o.connection;
    let alone: SessionSignal = signal as SessionSignal;
    try {
      if (signal.type === 'lists-changed') {
        const fresh = signal.changes.filter((c) => this.#digests.get(c.kind) !== c.digest).map((c) => c.kind);
        for (const c of signal.changes) this.#digests.set(c.kind, c.digest);
        alone = { type: 'lists-changed', kinds: fresh };
        await runScript(
          client,
          LISTS_CHANGED,
          [],
          [this.#o.prefix, ...signal.changes.flatMap((c) => [c.kind, c.digest])],
        );
      } else {
        await client.publish(this.#channel, JSON.stringify(signal));
      }
      this.#reachable();
    } catch (err) {
      this.#unreachable(err);
      if (alone.type !== 'lists-changed' || alone.kinds.length > 0) this.#deliver(alone);
    }
  }

  subscribe(listener: (signal: SessionSignal) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async sendTo(address: string, ref: string, message: ParkedCallMessage): Promise<boolean> {
    try {
      const receivers = await this.#o.connection.client.publish(
        this.#addressed(address),
        JSON.stringify({ ref, message }),
      );
      this.#reachable();
      return receivers > 0;
    } catch (err) {
      this.#unreachable(err);
      throw err;
    }
  }

  receive(address: string, listener: (ref: string, message: ParkedCallMessage) => void): () => void {
    return this.#o.connection.subscribe(this.#addressed(address), (raw) => {
      let parsed: { ref: string; message: ParkedCallMessage };
      try {
        parsed = JSON.parse(raw) as typeof parsed;
      } catch {
        this.#o.logger.warn('ignored a parked-call message that is not JSON');
        return;
      }
      listener(parsed.ref, parsed.message);
    });
  }

  #addressed(address: string): string {
    return `${this.#o.prefix}to:${address}`;
  }

  #unreachable(err: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#o.logger.warn(
      { err: this.#o.connection.describe(err) },
      'session store unreachable: until it is back, signals are delivered on this replica only and retries of calls parked in another replica fail',
    );
  }

  #reachable(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#o.logger.info('session bus reachable again');
  }

  #receive(raw: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(raw) as BusMessage;
    } catch {
      this.#o.logger.warn('ignored a session bus message that is not JSON');
      return;
    }
    if (message.type === 'ended') {
      this.#o.onEnded(message.id, message.why);
      return;
    }
    this.#deliver(message);
  }

  #deliver(signal: SessionSignal): void {
    for (const listener of this.#listeners) {
      try {
        listener(signal);
      } catch (err) {
        this.#o.logger.error({ signal: signal.type, err: String(err) }, 'session bus listener failed');
      }
    }
  }
}
