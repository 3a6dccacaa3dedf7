// What the Redis session store adds to the contract: two replicas share sessions and signals (each listener hears a
// list change once however many replicas saw it), Redis down refuses new sessions but keeps the ones a replica holds,
// a restart of a durable Redis loses no stored session, and a session expires when idle unless a request holds it.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../../../src/gateway/sessions/redis-store.ts';
import type { SessionEnd, SessionLimits, SessionSignal } from '../../../src/gateway/sessions/store.ts';
import { connectRedis, type RedisConnection } from '../../../src/runtime/redis-connection.ts';
import { until } from '../../support/eventually.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';
import { sessionRecord } from '../../support/session-store-contract.ts';

const logger = pino({ level: 'silent' });
const LIMITS: SessionLimits = { maxSessions: 10, maxSessionsPerClient: 10, idleTimeoutMs: 60_000 };
let redis: RedisFixture | undefined;
const opened: Array<{ store: RedisSessionStore; connection: RedisConnection }> = [];

async function replica(r: RedisFixture, limits = LIMITS, keepAliveMs?: number) {
  const connection = connectRedis({ address: { tls: false, host: '127.0.0.1', port: r.port, db: 0 }, logger });
  await until('connected', () => connection.state().ready);
  const store = new RedisSessionStore({
    connection,
    limits,
    eventLimits: { maxSessionBytes: 1 << 20, ttlMs: 60_000 },
    logger,
    ...(keepAliveMs ? { keepAliveMs } : {}),
  });
  opened.push({ store, connection });
  return store;
}

afterEach(async () => {
  for (const { store, connection } of opened.splice(0)) {
    await store.close();
    await connection.close();
  }
  await redis?.stop();
  redis = undefined;
});

describe('redis session store', () => {
  it('shares sessions, event logs and signals between replicas; each hears a list change once', async () => {
    redis = await startRedis();
    const a = await replica(redis);
    const b = await replica(redis);
    const endedOnA: Array<[string, SessionEnd]> = [];
    a.onEnded((id, why) => endedOnA.push([id, why]));
    const heard = { a: [] as SessionSignal[], b: [] as SessionSignal[] };
    a.bus.subscribe((s) => heard.a.push(s));
    b.bus.subscribe((s) => heard.b.push(s));

    const r = sessionRecord('kim', Date.now());
    expect(await a.create(r)).toMatchObject({ ok: true });
    expect(await b.get(r.id)).toEqual(r);
    await b.update(r.id, { logLevel: 'error' });
    expect((await a.visit(r.id, 'stream'))?.record.logLevel).toBe('error');
    const first = await a.events.append(r.id, 'post-1', { jsonrpc: '2.0', method: 'notifications/progress' });
    await a.events.append(r.id, 'post-1', { jsonrpc: '2.0', id: 7, result: {} }, true);
    expect((await b.events.replay(r.id, first))?.events.map((e) => e.message)).toEqual([
      { jsonrpc: '2.0', id: 7, result: {} },
    ]);

    // Both replicas' aggregates see the same change; the clients of both hear it once.
    const change = { type: 'lists-changed' as const, changes: [{ kind: 'tools' as const, digest: 'd1' }] };
    await Promise.all([a.bus.publish(change), b.bus.publish(change)]);
    await a.bus.publish({ type: 'resource-updated', session: r.id, uri: 'mark:' });
    await until('both heard the marker', () => heard.a.length >= 2 && heard.b.length >= 2);
    for (const h of [heard.a, heard.b]) {
      expect(h).toEqual([
        { type: 'lists-changed', kinds: ['tools'] },
        { type: 'resource-updated', session: r.id, uri: 'mark:' },
      ]);
    }

    expect(await b.delete(r.id)).toBe(true);
    await until('A told of the end', () => endedOnA.length > 0);
    expect(endedOnA).toEqual([[r.id, 'deleted']]);
  });

  it('refuses new sessions while Redis is down, keeps serving the ones a replica holds, recovers', async () => {
    redis = await startRedis();
    const a = await replica(redis);
    const held = sessionRecord('lee', Date.now());
    expect(await a.create(held)).toMatchObject({ ok: true });
    const heard: SessionSignal[] = [];
    a.bus.subscribe((s) => heard.push(s));

    await redis.down({ signal: 'SIGKILL' });
    const refused = await a.create(sessionRecord('lee', Date.now()));
    expect(refused).toMatchObject({ ok: false, refusal: { status: 503, reason: 'store-unavailable' } });
    expect(refused.ok ? '' : refused.refusal.message).toBe(
      'Cannot open a session now: the session store is unavailable; try again later',
    );
    const visit = await a.visit(held.id, 'work');
    expect(visit?.record.id).toBe(held.id);
    visit?.leave();
    await expect(a.visit('never-seen-here', 'work')).rejects.toMatchObject({
      name: 'SessionStoreUnavailableError',
      reason: expect.stringContaining(redis.url),
    });
    // This replica's own clients still hear of a list change.
    await a.bus.publish({ type: 'lists-changed', changes: [{ kind: 'prompts', digest: 'p9' }] });
    expect(heard).toEqual([{ type: 'lists-changed', kinds: ['prompts'] }]);

    await redis.up();
    await until('a new session admitted again', async () => (await a.create(sessionRecord('lee', Date.now()))).ok, {
      timeoutMs: 15_000,
    });
  });

  it('loses no stored session when a durable Redis is killed and restarted', async () => {
    redis = await startRedis({ durable: true, password: 'pw-durable' });
    const connection = connectRedis({
      address: { tls: false, host: '127.0.0.1', port: redis.port, db: 0 },
      password: 'pw-durable',
      logger,
    });
    await until('connected', () => connection.state().ready);
    const store = new RedisSessionStore({
      connection,
      limits: LIMITS,
      eventLimits: { maxSessionBytes: 1 << 20, ttlMs: 60_000 },
      logger,
    });
    opened.push({ store, connection });
    const records = [sessionRecord('max', Date.now()), sessionRecord('max', Date.now())];
    for (const r of records) expect(await store.create(r)).toMatchObject({ ok: true });
    await redis.restart({ signal: 'SIGKILL' });
    await until('reconnected', () => connection.state().ready, { timeoutMs: 15_000 });
    for (const r of records) expect(await store.get(r.id)).toEqual(r);
  });

  it('expires an idle session, but not while a request of it is open, and leaves no key behind', async () => {
    redis = await startRedis();
    const a = await replica(redis, { ...LIMITS, idleTimeoutMs: 600 }, 100);
    const ended: Array<[string, SessionEnd]> = [];
    a.onEnded((id, why) => ended.push([id, why]));
    const idle = sessionRecord('nia', Date.now());
    const streaming = sessionRecord('nia', Date.now());
    await a.create(idle);
    await a.create(streaming);
    const visit = await a.visit(streaming.id, 'stream');
    await until('the idle session ended', () => ended.some(([id]) => id === idle.id), { timeoutMs: 5000 });
    expect(ended).toEqual([[idle.id, 'idle']]);
    expect(await a.get(streaming.id)).toMatchObject({ id: streaming.id });
    visit?.leave();
    await until('the other one ended once left', () => ended.length === 2, { timeoutMs: 5000 });
    // Nothing of them stays behind: records, indexes and marks all expire.
    const { client } = opened[0]?.connection ?? {};
    await until('no key left', async () => (await client?.keys('mcpre:*'))?.length === 0, { timeoutMs: 5000 });
  });
});
