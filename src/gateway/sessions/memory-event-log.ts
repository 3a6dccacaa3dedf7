// The session event log in one process's memory: one BoundedEventStore per session (event-store.ts keeps the rules:
// what is kept, for how long, and when a resume is refused), every store drawing on one byte budget.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { BoundedEventStore, type EventBudget } from '../event-store.ts';
import type { SessionEventLog, StoredStreamEvent } from './store.ts';

export class MemoryEventLog implements SessionEventLog {
  readonly #budget: EventBudget;
  readonly #stores = new Map<string, BoundedEventStore>();
  readonly #exists: (session: string) => boolean;

  /** `exists`: whether a session is stored; events of one that ended (a call finishing after it) are not kept. */
  constructor(budget: EventBudget, exists: (session: string) => boolean = () => true) {
    this.#budget = budget;
    this.#exists = exists;
  }

  /** Bytes held by all sessions. */
  get bytes(): number {
    return this.#budget.bytes;
  }

  /** Drop what the TTL expired. */
  expire(): void {
    this.#budget.expire();
  }

  async append(session: string, stream: string, message: JSONRPCMessage): Promise<string> {
    let store = this.#stores.get(session);
    if (!store) {
      // An id no resume can use: the session is gone, so is anything it could resume.
      if (!this.#exists(session)) return `${stream}.0`;
      store = new BoundedEventStore(this.#budget);
      this.#stores.set(session, store);
    }
    return store.storeEvent(stream, message);
  }

  async replay(session: string, lastEventId: string) {
    const store = this.#stores.get(session);
    if (!store || (await store.getStreamIdForEventId(lastEventId)) === undefined) return undefined;
    const events: StoredStreamEvent[] = [];
    const stream = await store.replayEventsAfter(lastEventId, {
      send: async (id, message) => void events.push({ id, message }),
    });
    return stream === '' ? undefined : { stream, events };
  }

  async dropStream(session: string, stream: string): Promise<void> {
    this.#stores.get(session)?.dropStream(stream);
  }

  async dropSession(session: string): Promise<void> {
    this.#stores.get(session)?.clear();
    this.#stores.delete(session);
  }
}
