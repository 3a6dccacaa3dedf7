import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBudget } from '../../../src/gateway/event-store.ts';
import { MemorySessionStore } from '../../../src/gateway/sessions/memory-store.ts';
import type { ClientSessionRecord, SessionEnd, SessionSignal } from '../../../src/gateway/sessions/store.ts';

const clock = { now: 1_000_000 };
const stores: MemorySessionStore[] = [];

function storeWith(limits: { maxSessions?: number; maxSessionsPerClient?: number; idleTimeoutMs?: number } = {}) {
  const store = new MemorySessionStore({
    limits: { maxSessions: 4, maxSessionsPerClient: 2, idleTimeoutMs: 60_000, ...limits },
    eventBudget: new EventBudget({ maxSessionBytes: 4096, maxTotalBytes: 8192, ttlMs: 60_000 }),
    now: () => clock.now,
    sweepMs: 3_600_000,
  });
  stores.push(store);
  const ended: Array<[string, SessionEnd]> = [];
  store.onEnded((id, why) => ended.push([id, why]));
  return { store, ended };
}

const record = (id: string, client = 'c1'): ClientSessionRecord => ({
  id,
  owner: 'alice',
  client,
  protocolVersion: '2025-11-25',
  clientCapabilities: {},
  subscriptions: [],
  createdAt: clock.now,
  lastSeen: clock.now,
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('MemorySessionStore', () => {
  it('keeps records as JSON-serializable data and applies patches', async () => {
    const { store } = storeWith();
    expect(await store.create(record('a'))).toEqual({ ok: true, evicted: [] });
    await store.update('a', { logLevel: 'warning', subscriptions: ['file:///x'] });
    const stored = await store.get('a');
    expect(JSON.parse(JSON.stringify(stored))).toEqual({
      ...record('a'),
      logLevel: 'warning',
      subscriptions: ['file:///x'],
    });
    expect(await store.update('missing', { logLevel: 'info' })).toBeUndefined();
    expect(await store.visit('missing', 'work')).toBeUndefined();
  });

  it("makes room at the client's quota by closing its own least recently active idle session", async () => {
    const { store, ended } = storeWith();
    await store.create(record('a'));
    clock.now += 10;
    await store.create(record('b'));
    clock.now += 10;
    // `a` is used again: `b` is now the least recently active.
    (await store.visit('a', 'work'))!.leave();
    const admission = await store.create(record('c'));
    expect(admission).toEqual({ ok: true, evicted: [{ id: 'b', client: 'c1', reason: 'client-quota' }] });
    expect(ended).toEqual([['b', 'evicted']]);
    expect(await store.get('b')).toBeUndefined();
  });

  it('never evicts a session with a POST in progress; an open GET stream does not protect it', async () => {
    const { store } = storeWith();
    await store.create(record('a'));
    await store.create(record('b'));
    const postA = await store.visit('a', 'work');
    const postB = await store.visit('b', 'work');
    const refused = await store.create(record('c'));
    expect(refused).toMatchObject({ ok: false, refusal: { status: 429, reason: 'client-quota' }, evicted: [] });
    postB!.leave();
    postB!.leave(); // idempotent: counted once
    const getB = await store.visit('b', 'stream');
    expect(await store.create(record('c'))).toMatchObject({ ok: true, evicted: [{ id: 'b' }] });
    getB!.leave();
    postA!.leave();
  });

  it("closes anyone's least recently active idle session at the gateway's cap, and refuses with 503 when all work", async () => {
    const { store } = storeWith({ maxSessions: 2, maxSessionsPerClient: 2 });
    await store.create(record('a', 'c1'));
    clock.now += 1;
    await store.create(record('b', 'c2'));
    expect(await store.create(record('c', 'c3'))).toMatchObject({
      ok: true,
      evicted: [{ id: 'a', reason: 'capacity' }],
    });
    await store.visit('b', 'work');
    await store.visit('c', 'work');
    expect(await store.create(record('d', 'c4'))).toMatchObject({
      ok: false,
      refusal: { status: 503, reason: 'capacity' },
    });
    expect(await store.count()).toBe(2);
  });

  it('closes sessions idle for the timeout, but not one with a request or stream open', async () => {
    const { store, ended } = storeWith({ idleTimeoutMs: 1000 });
    await store.create(record('idle'));
    await store.create(record('listening', 'c2'));
    const stream = await store.visit('listening', 'stream');
    clock.now += 1001;
    store.sweep();
    expect(ended).toEqual([['idle', 'idle']]);
    stream!.leave();
    clock.now += 999;
    store.sweep();
    expect(ended).toHaveLength(1);
    clock.now += 2;
    store.sweep();
    expect(ended).toEqual([
      ['idle', 'idle'],
      ['listening', 'idle'],
    ]);
  });

  it("drops a session's event log when it ends", async () => {
    const { store } = storeWith();
    await store.create(record('a'));
    const message: JSONRPCMessage = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
    const first = await store.events.append('a', '_GET_stream', message);
    const second = await store.events.append('a', '_GET_stream', message);
    expect(await store.events.replay('a', first)).toEqual({ stream: '_GET_stream', events: [{ id: second, message }] });
    expect(await store.events.replay('b', first)).toBeUndefined();
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.events.replay('a', second)).toBeUndefined();
    expect(store.events.bytes).toBe(0);
    // A call that finishes after its session ended logs nothing.
    const late = await store.events.append('a', 'post-1', message);
    expect(await store.events.replay('a', late)).toBeUndefined();
    expect(store.events.bytes).toBe(0);
  });

  it('delivers a list change only when the list really changed', async () => {
    const { store } = storeWith();
    const seen: SessionSignal[] = [];
    const off = store.bus.subscribe((s) => seen.push(s));
    await store.bus.publish({ type: 'lists-changed', changes: [{ kind: 'tools', digest: 'v1' }] });
    await store.bus.publish({
      type: 'lists-changed',
      changes: [
        { kind: 'tools', digest: 'v1' },
        { kind: 'prompts', digest: 'p1' },
      ],
    });
    await store.bus.publish({ type: 'lists-changed', changes: [{ kind: 'tools', digest: 'v1' }] });
    await store.bus.publish({ type: 'resource-updated', session: 'a', uri: 'file:///x' });
    off();
    await store.bus.publish({ type: 'lists-changed', changes: [{ kind: 'tools', digest: 'v2' }] });
    expect(seen).toEqual([
      { type: 'lists-changed', kinds: ['tools'] },
      { type: 'lists-changed', kinds: ['prompts'] },
      { type: 'resource-updated', session: 'a', uri: 'file:///x' },
    ]);
  });
});
