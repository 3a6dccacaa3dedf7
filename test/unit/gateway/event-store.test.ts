import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  approximateJsonSize,
  BoundedEventStore,
  EVENT_OVERHEAD_BYTES,
  EventBudget,
  type EventLoss,
  type EventStoreLimits,
} from '../../../src/gateway/event-store.ts';

const note = (n: number, text = ''): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { n, text },
});
const result = (id: number, text: string): JSONRPCMessage => ({
  jsonrpc: '2.0',
  id,
  result: { content: [{ type: 'text', text }] },
});
const cost = (m: JSONRPCMessage) => EVENT_OVERHEAD_BYTES + approximateJsonSize(m);

async function replay(store: BoundedEventStore, after: string) {
  const sent: Array<[string, JSONRPCMessage]> = [];
  const stream = await store.replayEventsAfter(after, { send: async (id, m) => void sent.push([id, m]) });
  return { stream, sent };
}

function budget(limits: Partial<EventStoreLimits> = {}, clock = { now: 0 }) {
  const losses: EventLoss[] = [];
  const b = new EventBudget(
    { maxSessionBytes: 1 << 20, maxTotalBytes: 1 << 22, ttlMs: 60_000, ...limits },
    { now: () => clock.now, onLoss: (r) => losses.push(r) },
  );
  return { budget: b, losses, clock };
}

describe('BoundedEventStore', () => {
  it('replays the events of the same stream after the given id, in order', async () => {
    const store = new BoundedEventStore();
    const a1 = await store.storeEvent('a', note(1));
    await store.storeEvent('b', note(2));
    const a3 = await store.storeEvent('a', note(3));
    const a4 = await store.storeEvent('a', note(4));
    const { stream, sent } = await replay(store, a1);
    expect(stream).toBe('a');
    expect(sent).toEqual([
      [a3, note(3)],
      [a4, note(4)],
    ]);
    expect(await store.getStreamIdForEventId(a3)).toBe('a');
    expect((await replay(store, a4)).sent).toEqual([]);
  });

  it('counts the bytes of what it keeps, in the store and in the shared budget, and gives them back on clear', async () => {
    const { budget: shared } = budget();
    const one = new BoundedEventStore(shared);
    const two = new BoundedEventStore(shared);
    await one.storeEvent('a', note(1, 'x'.repeat(1000)));
    await one.storeEvent('a', note(2));
    await two.storeEvent('b', result(1, 'y'.repeat(500)));
    const oneBytes = cost(note(1, 'x'.repeat(1000))) + cost(note(2));
    expect(one.bytes).toBe(oneBytes);
    expect(two.bytes).toBe(cost(result(1, 'y'.repeat(500))));
    expect(shared.bytes).toBe(one.bytes + two.bytes);
    one.clear();
    expect(one.bytes).toBe(0);
    expect(one.size).toBe(0);
    expect(shared.bytes).toBe(two.bytes);
  });

  it('drops what a Last-Event-ID acknowledges, and keeps the stream resumable for what comes next', async () => {
    const { budget: shared } = budget();
    const store = new BoundedEventStore(shared);
    const a1 = await store.storeEvent('a', note(1, 'x'.repeat(1000)));
    const a2 = await store.storeEvent('a', note(2, 'x'.repeat(1000)));
    const a3 = await store.storeEvent('a', note(3));
    expect((await replay(store, a2)).sent).toEqual([[a3, note(3)]]);
    // Everything up to a2 is gone; a3 was only sent, not acknowledged.
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(cost(note(3)));
    expect(shared.bytes).toBe(cost(note(3)));
    // Acknowledging everything leaves a stream still waiting for its response: it can be resumed again.
    expect((await replay(store, a3)).sent).toEqual([]);
    expect(store.bytes).toBe(0);
    expect(await store.getStreamIdForEventId(a3)).toBe('a');
    const a4 = await store.storeEvent('a', result(7, 'done'));
    expect((await replay(store, a3)).sent).toEqual([[a4, result(7, 'done')]]);
    // The acknowledged ids were never lost, so resuming from one of them is allowed.
    expect(await store.getStreamIdForEventId(a1)).toBe('a');
  });

  it('keeps a session within its byte limit by dropping its oldest events, and refuses a resume that would skip one', async () => {
    const big = note(0, 'x'.repeat(400));
    const { budget: shared, losses } = budget({ maxSessionBytes: 3 * cost(big) });
    const store = new BoundedEventStore(shared);
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push(await store.storeEvent('a', note(n, 'x'.repeat(400))));
    expect(store.size).toBe(3);
    expect(store.bytes).toBeLessThanOrEqual(3 * cost(big));
    expect(losses).toEqual(['session-limit', 'session-limit']);
    // From id 1 the client would miss event 2, which is gone: refused. From id 2 on, everything is still there.
    expect(await store.getStreamIdForEventId(ids[0]!)).toBeUndefined();
    expect(await store.getStreamIdForEventId(ids[1]!)).toBe('a');
    expect((await replay(store, ids[1]!)).sent.map(([, m]) => m)).toEqual(
      [3, 4, 5].map((n) => note(n, 'x'.repeat(400))),
    );
  });

  it('holds no reference to a dropped message, also when later events of its stream are kept', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { budget: shared } = budget({ maxSessionBytes: 3 * cost(note(0, 'x'.repeat(400))) });
    const store = new BoundedEventStore(shared);
    let oldest: JSONRPCMessage | undefined = note(1, 'x'.repeat(400));
    const ref = new WeakRef(oldest);
    await store.storeEvent('a', oldest);
    oldest = undefined;
    for (let n = 2; n <= 4; n++) await store.storeEvent('a', note(n, 'x'.repeat(400)));
    expect(store.size).toBe(3);
    // A WeakRef keeps its target alive until the current job ends (KeepDuringJob): end it before collecting.
    await new Promise((r) => setImmediate(r));
    gc();
    expect(ref.deref()).toBeUndefined();
  });

  it('keeps all sessions within the shared limit by dropping the oldest events of any session', async () => {
    const big = note(0, 'x'.repeat(400));
    const { budget: shared, losses } = budget({ maxSessionBytes: 3 * cost(big), maxTotalBytes: 4 * cost(big) });
    const early = new BoundedEventStore(shared);
    const late = new BoundedEventStore(shared);
    const first = await early.storeEvent('a', note(1, 'x'.repeat(400)));
    await early.storeEvent('a', note(2, 'x'.repeat(400)));
    await late.storeEvent('b', note(3, 'x'.repeat(400)));
    await late.storeEvent('b', note(4, 'x'.repeat(400)));
    expect(losses).toEqual([]);
    await late.storeEvent('b', note(5, 'x'.repeat(400)));
    // The gateway's oldest event was the other session's: that one went.
    expect(losses).toEqual(['gateway-limit']);
    expect(shared.bytes).toBeLessThanOrEqual(4 * cost(big));
    expect(early.size).toBe(1);
    expect(late.size).toBe(3);
    // The client that has event 1 can still resume from it: event 2 is there.
    expect((await replay(early, first)).sent.map(([, m]) => m)).toEqual([note(2, 'x'.repeat(400))]);
  });

  it('does not keep an event larger than a session may hold, and refuses to resume across it', async () => {
    const { budget: shared, losses } = budget({ maxSessionBytes: 2000 });
    const store = new BoundedEventStore(shared);
    const priming = await store.storeEvent('a', {} as JSONRPCMessage);
    await store.storeEvent('a', result(1, 'z'.repeat(5000)));
    expect(losses).toEqual(['too-large']);
    expect(store.bytes).toBe(0);
    expect(shared.bytes).toBe(0);
    expect(await store.getStreamIdForEventId(priming)).toBeUndefined();
  });

  it('drops events older than the TTL (injected clock), and the streams they leave empty', async () => {
    const { budget: shared, losses, clock } = budget({ ttlMs: 1000 });
    const store = new BoundedEventStore(shared);
    const a1 = await store.storeEvent('a', {} as JSONRPCMessage);
    clock.now = 600;
    const b1 = await store.storeEvent('b', note(1));
    clock.now = 1000;
    shared.expire();
    expect(losses).toEqual(['ttl']);
    expect(store.size).toBe(1);
    expect(await store.getStreamIdForEventId(a1)).toBeUndefined();
    expect(await store.getStreamIdForEventId(b1)).toBe('b');
    clock.now = 1600;
    // Any call expires what is due, not only the sweep.
    expect(await store.getStreamIdForEventId(b1)).toBeUndefined();
    expect(shared.bytes).toBe(0);
    // A late event on a forgotten stream starts it anew: a resume from an old id is refused, not replayed with a gap.
    const a2 = await store.storeEvent('a', result(1, 'late'));
    expect(await store.getStreamIdForEventId(a1)).toBeUndefined();
    expect(await store.getStreamIdForEventId(a2)).toBe('a');
  });

  it('drops a stream whose response was stored once its delivery is over', async () => {
    const store = new BoundedEventStore();
    const priming = await store.storeEvent('post-1', {} as JSONRPCMessage);
    await store.storeEvent('post-1', result(1, 'x'.repeat(1000)));
    expect(store.size).toBe(2);
    store.dropStream('post-1');
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
    expect(await store.getStreamIdForEventId(priming)).toBeUndefined();
  });

  it('keeps a stream whose response came after its connection broke, until a resumed delivery is over', async () => {
    const store = new BoundedEventStore();
    const priming = await store.storeEvent('post-1', {} as JSONRPCMessage);
    // The response arrives after the client went away: kept for the resume.
    const answer = await store.storeEvent('post-1', result(1, 'done'));
    expect(store.size).toBe(2);
    const { sent } = await replay(store, priming);
    expect(sent).toEqual([[answer, result(1, 'done')]]);
    // The priming event was acknowledged by the resume; the answer only sent.
    expect(store.size).toBe(1);
    expect((await replay(store, priming)).sent).toEqual([[answer, result(1, 'done')]]);
    store.dropStream('post-1');
    expect(store.size).toBe(0);
  });

  it('keeps a stream whose response has not been stored when asked to drop it', async () => {
    const store = new BoundedEventStore();
    await store.storeEvent('post-1', {} as JSONRPCMessage);
    await store.storeEvent('post-1', note(1));
    store.dropStream('post-1');
    expect(store.size).toBe(2);
  });

  it('forgets the previous standalone stream when a new one is opened without Last-Event-ID', async () => {
    const store = new BoundedEventStore();
    const old = await store.storeEvent('_GET_stream', note(1));
    await store.storeEvent('post-1', note(2));
    store.dropStream('_GET_stream');
    expect(store.size).toBe(1);
    expect(await store.getStreamIdForEventId(old)).toBeUndefined();
    const fresh = await store.storeEvent('_GET_stream', note(3));
    const next = await store.storeEvent('_GET_stream', note(4));
    expect((await replay(store, fresh)).sent).toEqual([[next, note(4)]]);
  });

  it('treats ids it did not issue as unknown', async () => {
    const store = new BoundedEventStore();
    await store.storeEvent('a', note(1));
    for (const bad of ['', 'nodot', 'a.', 'a.x', 'a.-1', '.5', 'zzz.1', 'a.99']) {
      expect(await store.getStreamIdForEventId(bad)).toBeUndefined();
    }
    expect((await replay(store, 'garbage')).sent).toEqual([]);
  });

  it('refuses a total limit below the per-session one', () => {
    expect(() => new EventBudget({ maxSessionBytes: 10, maxTotalBytes: 5, ttlMs: 1 })).toThrow(/at least/);
  });
});

describe('approximateJsonSize', () => {
  it('is close to the length of the JSON text for MCP messages', () => {
    const messages: unknown[] = [
      result(1, 'y'.repeat(3_000_000)),
      {
        jsonrpc: '2.0',
        id: 'abc',
        result: {
          tools: [
            {
              name: 'echo',
              description: 'Echo',
              inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
            },
          ],
        },
      },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p1', progress: 3, total: 5 } },
      { jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'Invalid params', data: null } },
      {},
    ];
    for (const m of messages) {
      const exact = JSON.stringify(m).length;
      expect(Math.abs(approximateJsonSize(m) - exact)).toBeLessThanOrEqual(Math.max(8, exact * 0.15));
    }
  });

  it('stops walking once past the limit', () => {
    const wide = { items: Array.from({ length: 100_000 }, (_, i) => ({ i })) };
    const size = approximateJsonSize(wide, 1000);
    expect(size).toBeGreaterThan(1000);
    expect(size).toBeLessThan(approximateJsonSize(wide));
  });
});
