// The session store contract (test/support/session-store-contract.ts) against the in-memory store and against the
// Redis store on a real redis-server, plain and over TLS with a private CA (rediss://, the CA trusted through a CA
// file): the same suite, so they behave alike wherever the port promises it.
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { EventBudget } from '../../../src/gateway/event-store.ts';
import { MemorySessionStore } from '../../../src/gateway/sessions/memory-store.ts';
import { RedisSessionStore } from '../../../src/gateway/sessions/redis-store.ts';
import { connectRedis, type RedisConnection } from '../../../src/runtime/redis-connection.ts';
import { until } from '../../support/eventually.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';
import { sessionStoreContract } from '../../support/session-store-contract.ts';

const logger = pino({ level: 'silent' });

sessionStoreContract('memory', async (limits, now) => {
  const eventBudget = new EventBudget(
    { maxSessionBytes: limits.maxSessionBytes, maxTotalBytes: limits.maxSessionBytes * 16, ttlMs: limits.eventTtlMs },
    { now },
  );
  return { store: new MemorySessionStore({ limits, eventBudget, now }), cleanup: async () => {} };
});

let run = 0;
for (const tls of [false, true]) {
  let redis: RedisFixture;
  let connection: RedisConnection;
  beforeAll(async () => {
    redis = await startRedis({ tls });
    connection = connectRedis({
      address: { tls, host: '127.0.0.1', port: redis.port, db: 0 },
      ...(redis.ca ? { caFile: redis.ca.file } : {}),
      logger,
    });
    await until('connected to redis', () => connection.state().ready);
  });
  afterAll(async () => {
    await connection?.close();
    await redis?.stop();
  });

  sessionStoreContract(tls ? 'redis over TLS' : 'redis', async (limits, now) => {
    // A prefix per test: every test starts from an empty store on the one server.
    run++;
    const store = new RedisSessionStore({
      connection,
      limits,
      eventLimits: { maxSessionBytes: limits.maxSessionBytes, ttlMs: limits.eventTtlMs },
      logger,
      prefix: `contract${run}:`,
      now,
    });
    return { store, cleanup: async () => {} };
  });
}
