// The session store's Redis connection against a real redis-server: it reports why it is not ready, fails commands at
// once while Redis is down instead of queueing them, comes back by itself when Redis does (pub/sub included), and
// never shows the password.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionStoreAddress } from '../../../src/api/gateway/session-store.ts';
import { connectRedis, type RedisConnection } from '../../../src/runtime/redis-connection.ts';
import { until } from '../../support/eventually.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';

const logger = pino({ level: 'silent' });
const at = (r: RedisFixture): SessionStoreAddress => ({ tls: false, host: '127.0.0.1', port: r.port, db: 0 });
let redis: RedisFixture | undefined;
let conn: RedisConnection | undefined;

afterEach(async () => {
  await conn?.close();
  await redis?.stop();
  conn = undefined;
  redis = undefined;
});

describe('redis connection', () => {
  it('authenticates with the password, reports a wrong one without showing it', async () => {
    const password = 's3cret-Pässword "quoted"';
    redis = await startRedis({ password });
    const wrong = connectRedis({ address: at(redis), password: 'not-the-password', logger });
    try {
      await until('the wrong password to be reported', () => /WRONGPASS|invalid/i.test(wrong.state().reason ?? ''));
      expect(wrong.state().ready).toBe(false);
      expect(wrong.state().reason).not.toContain('not-the-password');
      // What the stores log of a client error goes through the same redaction.
      expect(wrong.describe(new Error('ERR near not-the-password'))).toBe('ERR near [redacted]');
    } finally {
      await wrong.close();
    }
    conn = connectRedis({ address: at(redis), password, logger });
    await until('connected', () => conn?.state().ready === true);
    await conn.client.set('k', 'v');
    expect(await conn.client.get('k')).toBe('v');
  });

  it('fails commands at once while Redis is down and reconnects when it is back, pub/sub included', async () => {
    redis = await startRedis();
    conn = connectRedis({ address: at(redis), logger, commandTimeoutMs: 1000 });
    const heard: string[] = [];
    conn.subscribe('ch', (m) => heard.push(m));
    await until('connected', () => conn?.state().ready === true);
    await until('subscribed', async () => (await conn?.client.publish('ch', 'first')) === 1);
    await until('first message heard', () => heard.includes('first'));

    await redis.down({ signal: 'SIGKILL' });
    await until('not ready', () => conn?.state().ready === false);
    expect(conn.state().reason).toContain(redis.url);
    const started = performance.now();
    await expect(conn.client.get('k')).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(500);

    await redis.up();
    await until('ready again', () => conn?.state().ready === true, { timeoutMs: 15_000 });
    await until('re-subscribed', async () => (await conn?.client.publish('ch', 'second')) === 1);
    await until('second message heard', () => heard.includes('second'));
  });

  it('a channel left and joined again while Redis is down is heard once, by the new listener', async () => {
    redis = await startRedis();
    conn = connectRedis({ address: at(redis), logger });
    const first: string[] = [];
    const leave = conn.subscribe('again', (m) => first.push(m));
    await until('subscribed', async () => (await conn?.client.publish('again', 'one')) === 1);
    await until('heard', () => first.includes('one'));
    await redis.down({ signal: 'SIGKILL' });
    await until('not ready', () => conn?.state().ready === false);
    leave();
    const second: string[] = [];
    conn.subscribe('again', (m) => second.push(m));
    await redis.up();
    await until('ready again', () => conn?.state().ready === true, { timeoutMs: 15_000 });
    await until('heard by the new listener', async () => {
      if (second.length === 0) await conn?.client.publish('again', 'two');
      return second.length > 0;
    });
    expect(await conn.client.publish('again', 'three')).toBe(1);
    await until('the last one heard', () => second.includes('three'));
    expect(second).toEqual(['two', 'three']);
    expect(first).toEqual(['one']);
  });

  it('gives up a command that a frozen Redis does not answer', async () => {
    redis = await startRedis();
    conn = connectRedis({ address: at(redis), logger, commandTimeoutMs: 300 });
    await until('connected', () => conn?.state().ready === true);
    await redis.freeze();
    try {
      const started = performance.now();
      await expect(conn.client.get('k')).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await redis.thaw();
    }
  });
});
