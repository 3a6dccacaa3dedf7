// Two gateways as replicas through Redis, each with its own connection and Redis store (built by the same factory as
// `mcpre gateway --session-store`), one redis-server: the flows of test/support/shared-session-flows.ts (a session
// served at B, a call's stream resumed at B, an elicitation answer and a cancellation posted at B reaching the call at
// A), which gateway-shared-sessions.test.ts runs on one in-memory store; gateway-replicas.test.ts runs processes.
import { pino } from 'pino';
import { afterAll, beforeAll, describe } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type SharedSessionStore, startRedisSessionStore } from '../../../src/gateway/sessions/redis-store-setup.ts';
import { until } from '../../support/eventually.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';
import { sharedSessionFlows } from '../../support/shared-session-flows.ts';
import { type ConformanceBackend, startConformanceBackend } from '../gateway/conformance-backend.ts';

const logger = pino({ level: 'silent' });

describe('gateways relaying through a Redis session store', () => {
  let redis: RedisFixture;
  let demo: DemoBackend;
  let conformance: ConformanceBackend;
  const shared: SharedSessionStore[] = [];
  let a: RunningGateway;
  let b: RunningGateway;

  beforeAll(async () => {
    redis = await startRedis();
    demo = await startDemoBackend();
    conformance = await startConformanceBackend();
    const start = async () => {
      const store = startRedisSessionStore(
        { address: { tls: false, host: '127.0.0.1', port: redis.port, db: 0 } },
        logger,
      );
      shared.push(store);
      await until('connected to redis', () => store.notReadyReason() === undefined);
      return startGateway({
        config: validateGatewayConfig({
          backends: [
            { name: 'demo', url: demo.url.href },
            { name: 'conf', url: conformance.url.href },
          ],
        }),
        logger,
        sessionStore: store.store,
      });
    };
    [a, b] = [await start(), await start()];
    await until('both gateways ready', () => a.readiness().ready && b.readiness().ready);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const s of shared) await s.close();
    await demo?.close();
    await conformance?.close();
    await redis?.stop();
  });

  sharedSessionFlows(() => ({ a, b }));
});
