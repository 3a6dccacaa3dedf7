// Resumable streams: the transport stores every SSE event it sends here, and a client that reconnects with
// `Last-Event-ID` gets the events it missed. One store per downstream session (dropped with the session), each stream
// capped so that a client that never reads cannot make the gateway hold unbounded memory.
import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

interface StoredEvent {
  seq: number;
  message: JSONRPCMessage;
}

export class BoundedEventStore implements EventStore {
  readonly #streams = new Map<StreamId, StoredEvent[]>();
  readonly #maxEventsPerStream: number;
  readonly #maxStreams: number;
  #seq = 0;

  constructor(opts: { maxEventsPerStream?: number; maxStreams?: number } = {}) {
    this.#maxEventsPerStream = opts.maxEventsPerStream ?? 1000;
    this.#maxStreams = opts.maxStreams ?? 1000;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    let events = this.#streams.get(streamId);
    if (!events) {
      // Oldest stream goes first: Map iteration order is insertion order.
      if (this.#streams.size >= this.#maxStreams) this.#streams.delete(this.#streams.keys().next().value as StreamId);
      events = [];
      this.#streams.set(streamId, events);
    }
    const seq = ++this.#seq;
    events.push({ seq, message });
    if (events.length > this.#maxEventsPerStream) events.shift();
    return encodeEventId(streamId, seq);
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    const parsed = decodeEventId(eventId);
    return parsed && this.#streams.has(parsed.streamId) ? parsed.streamId : undefined;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const parsed = decodeEventId(lastEventId);
    if (!parsed) return '';
    const events = this.#streams.get(parsed.streamId) ?? [];
    for (const e of events) if (e.seq > parsed.seq) await send(encodeEventId(parsed.streamId, e.seq), e.message);
    return parsed.streamId;
  }

  get size(): number {
    let n = 0;
    for (const events of this.#streams.values()) n += events.length;
    return n;
  }
}

/** `<streamId>.<seq>`: stream ids from the SDK are UUIDs or `_GET_stream`, neither contains a dot. */
function encodeEventId(streamId: StreamId, seq: number): EventId {
  return `${streamId}.${seq}`;
}

function decodeEventId(eventId: EventId): { streamId: StreamId; seq: number } | undefined {
  const dot = eventId.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const seq = Number(eventId.slice(dot + 1));
  if (!Number.isSafeInteger(seq) || seq <= 0) return undefined;
  return { streamId: eventId.slice(0, dot), seq };
}
