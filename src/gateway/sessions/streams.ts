// The SSE streams of 2025-era sessions this process holds beyond single calls: each session's standalone (GET) stream,
// which carries list changes and resource updates, and resumed streams (a GET with `Last-Event-ID`), which replay what
// the client missed and then carry what its call still sends. Every event goes through the session's event log first,
// so a client whose connection broke can resume here or at another process. A session's standalone stream stays
// known here after its connection broke (its events are still logged) until the session ends or a fresh GET replaces
// it.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type KeepAlive, SSE_HEADERS, sseEvent } from '../exchange.ts';
import type { HttpRefusal } from './messages.ts';
import { type SessionEventLog, STANDALONE_STREAM, type StoredStreamEvent, streamOfEventId } from './store.ts';

interface Held {
  res: ServerResponse | undefined;
  /** Events that arrived while the replay was being read; sent after it, except those it carried. */
  buffer: Array<{ event: StoredStreamEvent; final: boolean }> | undefined;
}

const streamKey = (session: string, stream: string) => `${session}\n${stream}`;

export class SessionStreams {
  readonly #log: SessionEventLog;
  readonly #keepAlive: KeepAlive;
  /** Streams by session and stream id; a standalone one may be held without a connection. */
  readonly #held = new Map<string, Held>();
  /** POST streams whose own response is still open here: a resume of one is a conflict. */
  readonly #attached = new Set<string>();
  readonly #bySession = new Map<string, Set<string>>();

  constructor(opts: { log: SessionEventLog; keepAlive: KeepAlive }) {
    this.#log = opts.log;
    this.#keepAlive = opts.keepAlive;
  }

  /** A POST stream's response is open until the returned function is called. */
  attach(session: string, stream: string): () => void {
    const k = streamKey(session, stream);
    this.#attached.add(k);
    return () => this.#attached.delete(k);
  }

  /** A GET without `Last-Event-ID`: the session's new standalone stream (the previous one can no longer resume). */
  async openStandalone(
    session: string,
    res: ServerResponse,
    headers: OutgoingHttpHeaders,
  ): Promise<HttpRefusal | undefined> {
    const k = streamKey(session, STANDALONE_STREAM);
    if (this.#held.get(k)?.res)
      return { status: 409, code: -32000, message: 'Conflict: Only one SSE stream is allowed per session' };
    await this.#log.dropStream(session, STANDALONE_STREAM);
    this.#hold(session, k, res, headers, undefined);
    return undefined;
  }

  /** A GET with `Last-Event-ID`: replay the stream after it, then carry what comes next. */
  async resume(session: string, lastEventId: string, res: ServerResponse, headers: OutgoingHttpHeaders) {
    // Held (buffering) before the replay is read, so nothing sent in between is missed.
    const stream = streamOfEventId(lastEventId);
    const k = stream === undefined ? undefined : streamKey(session, stream);
    if (k !== undefined && (this.#attached.has(k) || this.#held.get(k)?.res)) {
      return {
        status: 409,
        code: -32000,
        message: 'Conflict: Stream already has an active connection',
      } satisfies HttpRefusal;
    }
    const held: Held | undefined = k === undefined ? undefined : { res: undefined, buffer: [] };
    if (k !== undefined && held) this.#held.set(k, held);
    const replay = await this.#log.replay(session, lastEventId);
    if (!replay || replay.stream !== stream) {
      if (k !== undefined && this.#held.get(k) === held) this.#held.delete(k);
      return { status: 400, code: -32000, message: 'Invalid event ID format' } satisfies HttpRefusal;
    }
    const key = k as string;
    this.#hold(session, key, res, headers, held);
    const seen = new Set<string>();
    let ended = false;
    for (const e of replay.events) {
      seen.add(e.id);
      ended = this.#write(res, e, isAnswer(e.message) && stream !== STANDALONE_STREAM) || ended;
    }
    const buffered = held?.buffer ?? [];
    if (held) held.buffer = undefined;
    for (const b of buffered) if (!ended && !seen.has(b.event.id)) ended = this.#write(res, b.event, b.final);
    res.once('finish', () => void this.#log.dropStream(session, replay.stream));
    return undefined;
  }

  /** Whether this process holds the session's standalone stream (connected or not). */
  holdsStandalone(session: string): boolean {
    return this.#held.has(streamKey(session, STANDALONE_STREAM));
  }

  /** Sessions whose standalone stream is held here. */
  standaloneSessions(): string[] {
    const out: string[] = [];
    for (const [session, keys] of this.#bySession)
      if (keys.has(streamKey(session, STANDALONE_STREAM))) out.push(session);
    return out;
  }

  /** A notification for a session's standalone stream: logged, and written when connected here. */
  async notify(session: string, message: unknown): Promise<void> {
    const held = this.#held.get(streamKey(session, STANDALONE_STREAM));
    if (!held) return;
    const id = await this.#log.append(session, STANDALONE_STREAM, message as never).catch(() => undefined);
    if (id === undefined) {
      // Not logged (the store failed): sent live without an id, as it cannot be replayed.
      if (held.res && !held.res.writableEnded) held.res.write(sseEvent(message));
      return;
    }
    const event = { id, message: message as never };
    if (held.buffer) held.buffer.push({ event, final: false });
    else if (held.res && !held.res.writableEnded) this.#write(held.res, event, false);
  }

  /** An event of a stream whose own connection is gone (bus or local): to its resumed stream, if held here. */
  deliver(session: string, stream: string, event: StoredStreamEvent, final: boolean): void {
    const held = this.#held.get(streamKey(session, stream));
    if (!held) return;
    if (held.buffer) held.buffer.push({ event, final });
    else if (held.res && !held.res.writableEnded) this.#write(held.res, event, final);
  }

  /** Another process opened the session's standalone stream: the one here (connected or not) is let go. */
  releaseStandalone(session: string): void {
    const k = streamKey(session, STANDALONE_STREAM);
    const held = this.#held.get(k);
    if (!held) return;
    this.#held.delete(k);
    const keys = this.#bySession.get(session);
    keys?.delete(k);
    if (keys?.size === 0) this.#bySession.delete(session);
    if (held.res && !held.res.writableEnded) held.res.end();
  }

  /** The session ended: its streams here end too. */
  endSession(session: string): void {
    for (const k of this.#bySession.get(session) ?? []) {
      const held = this.#held.get(k);
      this.#held.delete(k);
      if (held?.res && !held.res.writableEnded) held.res.end();
    }
    this.#bySession.delete(session);
  }

  closeAll(): void {
    for (const session of [...this.#bySession.keys()]) this.endSession(session);
  }

  #hold(session: string, k: string, res: ServerResponse, headers: OutgoingHttpHeaders, held: Held | undefined): void {
    const entry = held ?? { res: undefined, buffer: undefined };
    entry.res = res;
    this.#held.set(k, entry);
    let keys = this.#bySession.get(session);
    if (!keys) {
      keys = new Set();
      this.#bySession.set(session, keys);
    }
    keys.add(k);
    const standalone = k === streamKey(session, STANDALONE_STREAM);
    res.once('close', () => {
      if (entry.res !== res) return;
      entry.res = undefined;
      // A standalone stream stays held (its events are still logged for a resume); a resumed one is let go.
      if (standalone) return;
      if (this.#held.get(k) === entry) this.#held.delete(k);
      keys.delete(k);
      if (keys.size === 0 && this.#bySession.get(session) === keys) this.#bySession.delete(session);
    });
    res.writeHead(200, { ...headers, ...SSE_HEADERS });
    res.flushHeaders();
    this.#keepAlive.add(res);
  }

  /** Write one event; true when it ended the stream. */
  #write(res: ServerResponse, event: StoredStreamEvent, final: boolean): boolean {
    if (res.writableEnded) return true;
    if (Object.keys(event.message).length === 0) return false;
    if (final) {
      res.end(sseEvent(event.message, event.id));
      return true;
    }
    res.write(sseEvent(event.message, event.id));
    return false;
  }
}

function isAnswer(message: unknown): boolean {
  const m = message as { id?: unknown; result?: unknown; error?: unknown };
  return m.id !== undefined && (m.result !== undefined || m.error !== undefined);
}
