// The event log behind one POST's answer in a 2025-era session (exchange.ts `StreamLog`): the session's event store
// gives each event its id, under a stream name made only when the answer becomes a stream (most answers are one JSON
// body and never need one). One object per POST, its work in methods shared by all.

import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { StreamLog } from '../exchange.ts';
import type { SessionStore } from './store.ts';
import type { SessionStreams } from './streams.ts';

export class SessionStreamLog implements StreamLog {
  readonly #store: SessionStore;
  readonly #streams: SessionStreams;
  readonly #session: string;
  readonly #res: ServerResponse;
  #stream: string | undefined;
  /** Priming events are for clients of 2025-11-25 and later (the SDK client of older revisions cannot parse them). */
  readonly primes: boolean;
  readonly retryMs: number;

  constructor(
    store: SessionStore,
    streams: SessionStreams,
    res: ServerResponse,
    session: { id: string; protocolVersion: string },
    retryMs: number,
  ) {
    this.#store = store;
    this.#streams = streams;
    this.#res = res;
    this.#session = session.id;
    this.primes = session.protocolVersion >= '2025-11-25';
    this.retryMs = retryMs;
  }

  opened(): void {
    const res = this.#res;
    // A client gone before the switch resumes freely: nothing is attached.
    if (res.destroyed) return;
    const session = this.#session;
    const stream = this.#name();
    res.once('close', this.#streams.attach(session, stream));
    // Written out completely: the client has every event and will not resume the stream.
    res.once('finish', () => void this.#store.events.dropStream(session, stream));
  }

  append(message: unknown, final: boolean): Promise<string> {
    return this.#store.events.append(this.#session, this.#name(), message as never, final);
  }

  prime(): Promise<string> {
    return this.#store.events.append(this.#session, this.#name(), {} as never);
  }

  orphan(id: string, message: unknown, final: boolean): void {
    void this.#store.bus.publish({
      type: 'stream-event',
      session: this.#session,
      stream: this.#name(),
      event: { id, message: message as never },
      final,
    });
  }

  #name(): string {
    this.#stream ??= randomUUID();
    return this.#stream;
  }
}
