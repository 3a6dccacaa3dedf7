import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { BoundedEventStore } from '../../../src/runtime/gateway/event-store.ts';

const msg = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { n } });

async function replay(store: BoundedEventStore, after: string) {
  const sent: Array<[string, JSONRPCMessage]> = [];
  const stream = await store.replayEventsAfter(after, { send: async (id, m) => void sent.push([id, m]) });
  return { stream, sent };
}

describe('BoundedEventStore', () => {
  it('replays the events of the same stream after the given id, in order', async () => {
    const store = new BoundedEventStore();
    const a1 = await store.storeEvent('a', msg(1));
    await store.storeEvent('b', msg(2));
    const a3 = await store.storeEvent('a', msg(3));
    const a4 = await store.storeEvent('a', msg(4));
    const { stream, sent } = await replay(store, a1);
    expect(stream).toBe('a');
    expect(sent).toEqual([
      [a3, msg(3)],
      [a4, msg(4)],
    ]);
    expect(await store.getStreamIdForEventId(a3)).toBe('a');
    expect((await replay(store, a4)).sent).toEqual([]);
  });

  it('keeps at most N events per stream and N streams', async () => {
    const store = new BoundedEventStore({ maxEventsPerStream: 2, maxStreams: 2 });
    const first = await store.storeEvent('a', msg(1));
    await store.storeEvent('a', msg(2));
    await store.storeEvent('a', msg(3));
    expect(store.size).toBe(2);
    // Events after the first one that are still kept are replayed; the dropped one is simply gone.
    expect((await replay(store, first)).sent.map(([, m]) => m)).toEqual([msg(2), msg(3)]);
    await store.storeEvent('b', msg(4));
    await store.storeEvent('c', msg(5));
    expect(await store.getStreamIdForEventId(first)).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it('treats ids it did not issue as unknown', async () => {
    const store = new BoundedEventStore();
    await store.storeEvent('a', msg(1));
    for (const bad of ['', 'nodot', 'a.', 'a.x', 'a.-1', '.5', 'zzz.1']) {
      expect(await store.getStreamIdForEventId(bad)).toBeUndefined();
    }
    expect((await replay(store, 'garbage')).sent).toEqual([]);
  });
});
