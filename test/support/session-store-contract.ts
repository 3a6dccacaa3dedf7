// The session store port's contract (src/gateway/sessions/store.ts), one suite run against every implementation:
// records and admission against the caps, the resumable-stream event log, the bus. Deliveries are awaited as facts
// (`until`), since a shared store delivers through the network; "only once" is checked after a later signal arrived.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClientSessionRecord,
  type ParkedCallMessage,
  type SessionEnd,
  type SessionLimits,
  type SessionSignal,
  type SessionStore,
  STANDALONE_STREAM,
} from '../../src/gateway/sessions/store.ts';
import { until } from './eventually.ts';

export interface ContractLimits extends SessionLimits {
  maxSessionBytes: number;
  eventTtlMs: number;
}

export interface StoreUnderTest {
  store: SessionStore;
  cleanup(): Promise<void>;
}

/** Builds a fresh, empty store with these limits, reading time from `now`. */
export type MakeStore = (limits: ContractLimits, now: () => number) => Promise<StoreUnderTest>;

const LIMITS: ContractLimits = {
  maxSessions: 3,
  maxSessionsPerClient: 2,
  idleTimeoutMs: 60_000,
  maxSessionBytes: 2048,
  eventTtlMs: 60_000,
};

let nextId = 0;
export function sessionRecord(
  client: string,
  at: number,
  extra: Partial<ClientSessionRecord> = {},
): ClientSessionRecord {
  nextId++;
  return {
    id: `s-${nextId}-${client}`,
    owner: `owner-of-${client}`,
    client,
    protocolVersion: '2025-11-25',
    clientInfo: { name: 'contract', version: '1.0.0' },
    clientCapabilities: { sampling: {} },
    subscriptions: [],
    createdAt: at,
    lastSeen: at,
    ...extra,
  };
}

const note = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { n } });
const answer = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: { ok: id } });

export function sessionStoreContract(name: string, make: MakeStore): void {
  describe(`session store contract: ${name}`, () => {
    let clock = 1_000_000;
    const now = () => clock;
    let under: StoreUnderTest;
    let store: SessionStore;
    const ended: Array<[string, SessionEnd]> = [];

    beforeEach(async () => {
      clock = 1_000_000;
      ended.length = 0;
      under = await make(LIMITS, now);
      store = under.store;
      store.onEnded((id, why) => ended.push([id, why]));
    });
    afterEach(async () => {
      await store.close();
      await under.cleanup();
    });

    const created = async (client: string) => {
      clock += 10;
      const record = sessionRecord(client, clock);
      const admission = await store.create(record);
      expect(admission).toMatchObject({ ok: true });
      return record;
    };

    it('stores a record, serves visits and updates, and ends it once', async () => {
      const r = await created('alice');
      expect(await store.get(r.id)).toEqual(r);
      clock += 5;
      const visit = await store.visit(r.id, 'work');
      expect(visit?.record).toMatchObject({ id: r.id, owner: r.owner, lastSeen: clock });
      visit?.leave();
      const updated = await store.update(r.id, { logLevel: 'warning', subscriptions: ['file:///a'] });
      expect(updated).toMatchObject({ logLevel: 'warning', subscriptions: ['file:///a'], clientInfo: r.clientInfo });
      expect(await store.get(r.id)).toMatchObject({ logLevel: 'warning', subscriptions: ['file:///a'] });
      expect(await store.count()).toBe(1);
      expect(await store.delete(r.id)).toBe(true);
      expect(await store.get(r.id)).toBeUndefined();
      expect(await store.visit(r.id, 'stream')).toBeUndefined();
      expect(await store.update(r.id, { logLevel: 'debug' })).toBeUndefined();
      expect(await store.delete(r.id)).toBe(false);
      await until('the end reported', () => ended.length > 0);
      expect(ended).toEqual([[r.id, 'deleted']]);
    });

    it("evicts the client's least recently active idle session at its quota, refuses when all are busy", async () => {
      const a = await created('bob');
      const b = await created('bob');
      clock += 10;
      (await store.visit(a.id, 'work'))?.leave(); // a is now more recent than b
      clock += 10;
      const c = sessionRecord('bob', clock);
      const admitted = await store.create(c);
      expect(admitted).toEqual({ ok: true, evicted: [{ id: b.id, client: 'bob', reason: 'client-quota' }] });
      expect(await store.get(b.id)).toBeUndefined();
      await until('the eviction reported', () => ended.some(([id]) => id === b.id));
      expect(ended).toContainEqual([b.id, 'evicted']);

      const busyA = await store.visit(a.id, 'work');
      const busyC = await store.visit(c.id, 'work');
      const refused = await store.create(sessionRecord('bob', clock));
      expect(refused).toMatchObject({ ok: false, refusal: { status: 429, reason: 'client-quota' }, evicted: [] });
      // An open GET stream does not keep a session from being evicted.
      busyC?.leave();
      const streaming = await store.visit(c.id, 'stream');
      expect(await store.create(sessionRecord('bob', clock))).toMatchObject({
        ok: true,
        evicted: [{ id: c.id, reason: 'client-quota' }],
      });
      streaming?.leave();
      busyA?.leave();
    });

    it("evicts anyone's least recently active idle session at the gateway's cap, refuses when all are busy", async () => {
      const a = await created('carol');
      const b = await created('dave');
      const c = await created('erin');
      const visits = await Promise.all([a, b, c].map((r) => store.visit(r.id, 'work')));
      const refused = await store.create(sessionRecord('frank', clock));
      expect(refused).toMatchObject({ ok: false, refusal: { status: 503, reason: 'capacity' } });
      expect(await store.count()).toBe(3);
      clock += 10;
      visits[1]?.leave();
      clock += 10;
      visits[0]?.leave();
      const admitted = await store.create(sessionRecord('frank', clock));
      // b finished first, so a is the more recently active one: b goes.
      expect(admitted).toEqual({ ok: true, evicted: [{ id: b.id, client: 'dave', reason: 'capacity' }] });
      visits[2]?.leave();
    });

    it('replays what followed a Last-Event-ID on its stream, and acknowledges what preceded it', async () => {
      const r = await created('gina');
      const ids = [];
      for (let n = 1; n <= 3; n++) ids.push(await store.events.append(r.id, 'post-1', note(n)));
      await store.events.append(r.id, 'other', note(99));
      const replay = await store.events.replay(r.id, ids[0] as string);
      expect(replay).toEqual({
        stream: 'post-1',
        events: [
          { id: ids[1], message: note(2) },
          { id: ids[2], message: note(3) },
        ],
      });
      expect(await store.events.replay(r.id, ids[1] as string)).toEqual({
        stream: 'post-1',
        events: [{ id: ids[2], message: note(3) }],
      });
      expect(await store.events.replay(r.id, 'post-1.999')).toBeUndefined();
      expect(await store.events.replay(r.id, 'no-dot')).toBeUndefined();
      const other = await created('gina');
      expect(await store.events.replay(other.id, ids[0] as string)).toBeUndefined();
    });

    it('forgets a stream once its response was delivered, and the standalone stream on a fresh GET', async () => {
      const r = await created('hank');
      const first = await store.events.append(r.id, 'post-2', note(1));
      await store.events.append(r.id, 'post-2', answer(2), true);
      const pending = await store.events.replay(r.id, first);
      expect(pending?.events.map((e) => e.message)).toEqual([answer(2)]);
      await store.events.dropStream(r.id, 'post-2');
      expect(await store.events.replay(r.id, first)).toBeUndefined();

      const g = await store.events.append(r.id, STANDALONE_STREAM, note(3));
      await store.events.append(r.id, STANDALONE_STREAM, note(4));
      expect((await store.events.replay(r.id, g))?.events.map((e) => e.message)).toEqual([note(4)]);
      await store.events.dropStream(r.id, STANDALONE_STREAM);
      expect(await store.events.replay(r.id, g)).toBeUndefined();
      const again = await store.events.append(r.id, STANDALONE_STREAM, note(5));
      await store.events.append(r.id, STANDALONE_STREAM, note(6));
      expect((await store.events.replay(r.id, again))?.events.map((e) => e.message)).toEqual([note(6)]);
    });

    it('refuses a resume from before an event it had to drop (byte limit, size, TTL), never replays a gap', async () => {
      const r = await created('ivy');
      const big = (n: number): JSONRPCMessage => ({ ...note(n), params: { n, pad: 'x'.repeat(600) } });
      const ids = [];
      for (let n = 1; n <= 4; n++) ids.push(await store.events.append(r.id, 'post-3', big(n)));
      // 4 x ~750 bytes do not fit 2048: the oldest went, so a resume from before it, or from it, is refused.
      expect(await store.events.replay(r.id, ids[0] as string)).toBeUndefined();
      const after = await store.events.replay(r.id, ids[2] as string);
      expect(after?.events.map((e) => e.message)).toEqual([big(4)]);

      const s = await store.events.append(r.id, 'post-4', note(1));
      await store.events.append(r.id, 'post-4', { ...note(2), params: { pad: 'y'.repeat(4000) } });
      expect(await store.events.replay(r.id, s)).toBeUndefined();

      const t = await store.events.append(r.id, 'post-5', note(1));
      await store.events.append(r.id, 'post-5', note(2));
      clock += LIMITS.eventTtlMs + 1;
      expect(await store.events.replay(r.id, t)).toBeUndefined();
    });

    it('drops the event log with the session, and keeps nothing for it after', async () => {
      const r = await created('jack');
      const id = await store.events.append(r.id, 'post-6', note(1));
      await store.events.append(r.id, 'post-6', note(2));
      await store.delete(r.id);
      expect(await store.events.replay(r.id, id)).toBeUndefined();
      // A call that finishes after the DELETE: its events are not kept, so no resume finds them.
      const late = await store.events.append(r.id, 'post-7', note(3));
      await store.events.append(r.id, 'post-7', note(4));
      expect(await store.events.replay(r.id, late)).toBeUndefined();
    });

    it('sends a parked-call message to the one process receiving for its address, and says when none does', async () => {
      const signals: SessionSignal[] = [];
      store.bus.subscribe((s) => signals.push(s));
      const atHolder: Array<[string, ParkedCallMessage]> = [];
      const atRelay: Array<[string, ParkedCallMessage]> = [];
      const offHolder = store.bus.receive('holder', (ref, m) => atHolder.push([ref, m]));
      store.bus.receive('relay', (ref, m) => atRelay.push([ref, m]));
      // A shared store subscribes through the network: the receivers are there once a send reaches them.
      await until('the holder receives', () => store.bus.sendTo('holder', 'probe', { kind: 'alive' }));
      await until('the relay receives', () => store.bus.sendTo('relay', 'probe', { kind: 'alive' }));
      const retry: ParkedCallMessage = {
        kind: 'retry',
        from: 'relay',
        token: 'mcpre-suspended:holder.t',
        subject: 'alice',
        method: 'tools/call',
        target: 'tools/call t',
        inputResponses: { q1: { action: 'accept', content: { ok: true } } },
      };
      const done: ParkedCallMessage = {
        kind: 'done',
        outcome: { kind: 'input', inputRequests: { q2: { method: 'roots/list' } }, requestState: 'next' },
      };
      expect(await store.bus.sendTo('holder', 'relay.1', retry)).toBe(true);
      expect(await store.bus.sendTo('relay', 'relay.1', done)).toBe(true);
      expect(await store.bus.sendTo('holder', 'relay.1', { kind: 'cancel' })).toBe(true);
      await until('the cancel received', () => atHolder.some(([, m]) => m.kind === 'cancel'));
      await until('the answer received', () => atRelay.some(([, m]) => m.kind === 'done'));
      const sent = (list: Array<[string, ParkedCallMessage]>) => list.filter(([ref]) => ref !== 'probe');
      expect(sent(atHolder)).toEqual([
        ['relay.1', retry],
        ['relay.1', { kind: 'cancel' }],
      ]);
      expect(sent(atRelay)).toEqual([['relay.1', done]]);
      // Addressed messages are no signals: subscribers of the bus get none of them.
      expect(signals).toEqual([]);
      expect(await store.bus.sendTo('nobody', 'relay.2', { kind: 'alive' })).toBe(false);
      offHolder();
      await until('the holder gone', async () => !(await store.bus.sendTo('holder', 'probe', { kind: 'alive' })));
    });

    it('delivers list changes only when a list really changed, and other signals as they come', async () => {
      const heard: SessionSignal[] = [];
      const off = store.bus.subscribe((s) => heard.push(s));
      const marker = (uri: string) => store.bus.publish({ type: 'resource-updated', session: 'x', uri });
      await store.bus.publish({
        type: 'lists-changed',
        changes: [
          { kind: 'tools', digest: 't1' },
          { kind: 'prompts', digest: 'p1' },
        ],
      });
      await store.bus.publish({ type: 'lists-changed', changes: [{ kind: 'tools', digest: 't1' }] });
      await store.bus.publish({
        type: 'lists-changed',
        changes: [
          { kind: 'tools', digest: 't2' },
          { kind: 'prompts', digest: 'p1' },
        ],
      });
      await marker('mark:1');
      await until('the marker heard', () => heard.length >= 3);
      expect(heard).toEqual([
        { type: 'lists-changed', kinds: ['tools', 'prompts'] },
        { type: 'lists-changed', kinds: ['tools'] },
        { type: 'resource-updated', session: 'x', uri: 'mark:1' },
      ]);
      off();
      const later: SessionSignal[] = [];
      store.bus.subscribe((s) => later.push(s));
      await store.bus.publish({ type: 'client-message', session: 'x', message: answer(1) });
      await marker('mark:2');
      await until('the second marker heard', () => later.length >= 2);
      expect(later).toEqual([
        { type: 'client-message', session: 'x', message: answer(1) },
        { type: 'resource-updated', session: 'x', uri: 'mark:2' },
      ]);
      expect(heard).toHaveLength(3);
    });
  });
}
