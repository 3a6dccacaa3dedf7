// Resumable streams in memory: every SSE event a session's streams carry is stored here, and a client that reconnects
// with `Last-Event-ID` gets the events it missed on that stream. One store per downstream session
// (sessions/memory-event-log.ts keeps them); every store draws on one budget shared by the whole gateway, so neither
// one session nor many can make the gateway hold unbounded memory. It has the SDK's EventStore shape, so a test's SDK
// server can use it too.
//
// What is kept, and for how long (MCP 2025-11-25, transports, "Resumability and Redelivery"):
// - A POST's stream ends once its response is sent. When that HTTP response has been written out completely, the
//   client has every event of the stream and will not resume it: the stream is dropped (`dropStream`). A stream whose connection
//   broke first is kept: its response may still be waiting for the client's GET with `Last-Event-ID`.
// - A `Last-Event-ID` acknowledges every event up to it on that stream: those are dropped when the client resumes.
// - A fresh GET (without `Last-Event-ID`) starts a new standalone stream; the previous one can no longer be resumed.
// - Everything else is dropped after a TTL, and the oldest events go first when a session's or the gateway's byte
//   limit is reached. A stream that lost an event the client may not have seen is resumable only from after it: a
//   resume from before is refused (the gateway answers 400) rather than replayed with a silent gap.
import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface EventStoreLimits {
  /** Bytes (approximate serialized size) one session may hold; an event larger than this is not kept. */
  maxSessionBytes: number;
  /** Bytes all sessions together may hold. */
  maxTotalBytes: number;
  /** Events older than this are dropped. */
  ttlMs: number;
}

export const DEFAULT_EVENT_STORE_LIMITS: EventStoreLimits = {
  maxSessionBytes: 8 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  ttlMs: 5 * 60_000,
};

/** Why an event was dropped before the client acknowledged it. */
export type EventLoss = 'session-limit' | 'gateway-limit' | 'ttl' | 'too-large';

/** Counted per event on top of its message: the bookkeeping, so that many tiny events are bounded too. */
export const EVENT_OVERHEAD_BYTES = 128;

/** The id of the standalone (GET) stream of a session (the SDK's too). */
export const STANDALONE_STREAM: StreamId = '_GET_stream';

interface Links {
  older?: StoredEvent;
  newer?: StoredEvent;
}

interface StoredEvent {
  store: BoundedEventStore;
  stream: Stream;
  seq: number;
  message: JSONRPCMessage;
  bytes: number;
  at: number;
  inGateway: Links;
  inSession: Links;
}

interface Stream {
  id: StreamId;
  /**
   * Kept events in sequence order from index `first`; the slots before it are emptied as events are dropped (so a
   * dropped message is not held) and compacted now and then rather than shifting per event.
   */
  events: Array<StoredEvent | undefined>;
  first: number;
  /** The highest sequence number dropped before the client acknowledged it: resuming from before it would skip it. */
  lostThrough: number;
  /** A response was stored: the stream will get no further events. */
  answered: boolean;
}

/** Events in the order they were stored, with removal from anywhere in O(1). */
class AgeList {
  first?: StoredEvent;
  last?: StoredEvent;
  readonly #links: (e: StoredEvent) => Links;

  constructor(links: (e: StoredEvent) => Links) {
    this.#links = links;
  }

  push(e: StoredEvent): void {
    const l = this.#links(e);
    l.older = this.last;
    l.newer = undefined;
    if (this.last) this.#links(this.last).newer = e;
    else this.first = e;
    this.last = e;
  }

  remove(e: StoredEvent): void {
    const l = this.#links(e);
    if (l.older) this.#links(l.older).newer = l.newer;
    else this.first = l.newer;
    if (l.newer) this.#links(l.newer).older = l.older;
    else this.last = l.older;
    l.older = undefined;
    l.newer = undefined;
  }
}

/** The byte budget and TTL shared by every session's store in one gateway. */
export class EventBudget {
  readonly limits: EventStoreLimits;
  readonly #now: () => number;
  readonly #onLoss: (reason: EventLoss) => void;
  readonly #all = new AgeList((e) => e.inGateway);
  #bytes = 0;

  constructor(
    limits: EventStoreLimits = DEFAULT_EVENT_STORE_LIMITS,
    opts: { now?: () => number; onLoss?: (reason: EventLoss) => void } = {},
  ) {
    if (limits.maxTotalBytes < limits.maxSessionBytes) {
      throw new Error('the event store total limit must be at least the per-session limit');
    }
    this.limits = limits;
    this.#now = opts.now ?? (() => performance.now());
    this.#onLoss = opts.onLoss ?? (() => {});
  }

  /** Bytes held by all stores. */
  get bytes(): number {
    return this.#bytes;
  }

  now(): number {
    return this.#now();
  }

  /** Drop every event older than the TTL. Cheap when there is nothing to drop: the oldest event is at hand. */
  expire(): void {
    const cutoff = this.#now() - this.limits.ttlMs;
    for (let e = this.#all.first; e && e.at <= cutoff; e = this.#all.first) e.store.lose(e, 'ttl');
  }

  lost(reason: EventLoss): void {
    this.#onLoss(reason);
  }

  /** Account for a stored event, then drop the gateway's oldest events until the total fits. */
  add(e: StoredEvent): void {
    this.#all.push(e);
    this.#bytes += e.bytes;
    // The new event is the newest and fits the total on its own (it fits a session), so it is never the one dropped.
    for (let old = this.#all.first; old && this.#bytes > this.limits.maxTotalBytes; old = this.#all.first) {
      old.store.lose(old, 'gateway-limit');
    }
  }

  remove(e: StoredEvent): void {
    this.#all.remove(e);
    this.#bytes -= e.bytes;
  }
}

export class BoundedEventStore implements EventStore {
  readonly #budget: EventBudget;
  readonly #streams = new Map<StreamId, Stream>();
  readonly #events = new AgeList((e) => e.inSession);
  #bytes = 0;
  #seq = 0;

  /** Without a budget the store has one of its own with the default limits. */
  constructor(budget: EventBudget = new EventBudget()) {
    this.#budget = budget;
  }

  /** Bytes this store holds. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Events this store holds. */
  get size(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.events.length - s.first;
    return n;
  }

  /**
   * Forget a stream: the HTTP response carrying it was written out completely after its response event (the client
   * has them all and will not resume it), or a GET without `Last-Event-ID` opens a new standalone stream (the previous
   * one can no longer be resumed). A stream still waiting for its response is kept.
   */
  dropStream(streamId: StreamId): void {
    const s = this.#streams.get(streamId);
    if (s && (s.answered || streamId === STANDALONE_STREAM)) this.#drop(s, Infinity);
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    this.#budget.expire();
    const seq = ++this.#seq;
    let stream = this.#streams.get(streamId);
    if (!stream) {
      // Nothing from before this event can be replayed: if the stream existed and was forgotten, a resume from one of
      // its old ids is refused instead of skipping what was lost.
      stream = { id: streamId, events: [], first: 0, lostThrough: seq - 1, answered: false };
      this.#streams.set(streamId, stream);
    }
    if (streamId !== STANDALONE_STREAM && isResponse(message)) stream.answered = true;
    const bytes = EVENT_OVERHEAD_BYTES + approximateJsonSize(message, this.#budget.limits.maxSessionBytes);
    if (bytes > this.#budget.limits.maxSessionBytes) {
      // Not kept: the client gets it live or not at all, and nothing before it can be replayed faithfully.
      this.#budget.lost('too-large');
      this.#dropThrough(stream, seq, true);
      return encodeEventId(streamId, seq);
    }
    const e: StoredEvent = {
      store: this,
      stream,
      seq,
      message,
      bytes,
      at: this.#budget.now(),
      inGateway: {},
      inSession: {},
    };
    stream.events.push(e);
    this.#events.push(e);
    this.#bytes += bytes;
    for (
      let old = this.#events.first;
      old && this.#bytes > this.#budget.limits.maxSessionBytes;
      old = this.#events.first
    ) {
      this.lose(old, 'session-limit');
    }
    this.#budget.add(e);
    return encodeEventId(streamId, seq);
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    this.#budget.expire();
    const parsed = decodeEventId(eventId);
    if (!parsed || parsed.seq > this.#seq) return undefined;
    const stream = this.#streams.get(parsed.streamId);
    return stream && parsed.seq >= stream.lostThrough ? stream.id : undefined;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    this.#budget.expire();
    const parsed = decodeEventId(lastEventId);
    const stream = parsed && parsed.seq <= this.#seq ? this.#streams.get(parsed.streamId) : undefined;
    if (!parsed || !stream || parsed.seq < stream.lostThrough) return '';
    // The client has everything up to its Last-Event-ID: acknowledged, no longer needed.
    this.#dropThrough(stream, parsed.seq, false);
    const pending = stream.events.slice(stream.first) as StoredEvent[];
    for (const e of pending) await send(encodeEventId(stream.id, e.seq), e.message);
    return stream.id;
  }

  /** Drop everything (the session is closing). */
  clear(): void {
    for (const s of [...this.#streams.values()]) this.#drop(s, Infinity);
  }

  /** Drop an event the client may not have received (limits, TTL). Only ever the oldest kept event of its stream. */
  lose(e: StoredEvent, reason: EventLoss): void {
    this.#budget.lost(reason);
    this.#dropThrough(e.stream, e.seq, true);
  }

  /** Drop the stream's events up to `seq`; `lost` when the client may not have them. */
  #dropThrough(stream: Stream, seq: number, lost: boolean): void {
    const { events } = stream;
    let i = stream.first;
    for (; i < events.length && events[i]!.seq <= seq; i++) {
      const e = events[i]!;
      events[i] = undefined;
      this.#events.remove(e);
      this.#budget.remove(e);
      this.#bytes -= e.bytes;
    }
    if (lost && Number.isFinite(seq)) stream.lostThrough = Math.max(stream.lostThrough, seq);
    if (i === events.length) {
      events.length = 0;
      stream.first = 0;
    } else {
      stream.first = i;
      if (stream.first > 64 && stream.first * 2 > events.length) {
        events.splice(0, stream.first);
        stream.first = 0;
      }
    }
    // Forget a stream left without events when it is finished (nothing more to give) or lost its last event (it
    // cannot be resumed from before that, and a later event starts it anew). A stream emptied by acknowledgement and
    // still waiting for its response is kept, so the client can resume it again; so is the standalone one.
    if (events.length === 0 && (stream.answered || (lost && stream.id !== STANDALONE_STREAM))) {
      this.#streams.delete(stream.id);
    }
  }

  #drop(stream: Stream, seq: number): void {
    this.#dropThrough(stream, seq, false);
    if (seq === Infinity) this.#streams.delete(stream.id);
  }
}

function isResponse(message: JSONRPCMessage): boolean {
  return 'id' in message && ('result' in message || 'error' in message);
}

/**
 * About the length of `JSON.stringify(value)` without building the string: string and key lengths (characters, before
 * escaping) plus punctuation and number widths. Walking a message costs a visit per value, never a copy of its text. Stops early
 * once past `limit` (the answer is then only known to be larger), which also bounds the walk of anything malformed.
 */
export function approximateJsonSize(value: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && size <= limit) {
    const v = stack.pop();
    switch (typeof v) {
      case 'string':
        size += v.length + 2;
        break;
      case 'number':
        size += Number.isSafeInteger(v) ? digits(v) : 20;
        break;
      case 'bigint':
        size += 20;
        break;
      case 'boolean':
        size += 5;
        break;
      case 'object':
        if (v === null) size += 4;
        else if (Array.isArray(v)) {
          size += 2 + v.length;
          for (const item of v) stack.push(item);
        } else {
          size += 2;
          for (const key of Object.keys(v)) {
            size += key.length + 4;
            stack.push((v as Record<string, unknown>)[key]);
          }
        }
        break;
      default:
        break;
    }
  }
  return size;
}

function digits(n: number): number {
  const abs = Math.abs(n);
  return (abs < 10 ? 1 : Math.floor(Math.log10(abs)) + 1) + (n < 0 ? 1 : 0);
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
