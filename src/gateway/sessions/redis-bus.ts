// The session bus on Redis pub/sub: every replica subscribes to one channel and hands each signal to its own
// listeners, which serve the clients whose streams that replica holds, so every client gets a signal once. A list
// change is announced only when its digest differs from the last one announced by any replica (one script compares
// and stores the digests and publishes), so the replicas that all see the same backend change announce it once. When
// Redis cannot be reached, a signal is delivered to this replica's own listeners only (its clients still hear of it;
// those of other replicas do not until Redis is back), with list changes compared against this replica's digests.
import type { Logger } from 'pino';
import type { RedisConnection } from '../../runtime/redis-connection.ts';
import { LISTS_CHANGED, runScript } from './redis-scripts.ts';
import type { ListChange, SessionBus, SessionEnd, SessionSignal } from './store.ts';

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
    } catch (err) {
      this.#o.logger.warn(
        { signal: signal.type, err: this.#o.connection.describe(err) },
        'session store unreachable: signal delivered on this replica only',
      );
      if (alone.type !== 'lists-changed' || alone.kinds.length > 0) this.#deliver(alone);
    }
  }

  subscribe(listener: (signal: SessionSignal) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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
