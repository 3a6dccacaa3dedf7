// What a call needs from another replica, through Redis: two gateways, each with its own connection and Redis store
// (built by the same factory as `mcpre gateway --session-store`), one redis-server. A call's stream broken at A resumes
// at B; a client's answer to a relayed elicitation and its cancellation, posted at B, reach the call running at A.
// (gateway-shared-sessions.test.ts runs these flows on one in-memory store; gateway-replicas.test.ts runs processes.)
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type SharedSessionStore, startRedisSessionStore } from '../../../src/gateway/sessions/redis-store-setup.ts';
import { eventually, until } from '../../support/eventually.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';
import { eventReader, readEvents } from '../../support/sse.ts';
import { type ConformanceBackend, startConformanceBackend } from '../gateway/conformance-backend.ts';

const VERSION = '2025-11-25';
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

  const send = (gateway: RunningGateway, method: string, session: string | undefined, body?: object, more = {}) =>
    fetch(gateway.url, {
      method,
      headers: {
        accept: method === 'GET' ? 'text/event-stream' : 'application/json, text/event-stream',
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': VERSION } : {}),
        ...more,
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  async function openSession(at: RunningGateway, capabilities = {}): Promise<string> {
    const params = { protocolVersion: VERSION, capabilities, clientInfo: { name: 'raw', version: '1' } };
    const res = await send(at, 'POST', undefined, { jsonrpc: '2.0', id: 0, method: 'initialize', params });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    return res.headers.get('mcp-session-id') as string;
  }

  const call = (id: number, name: string, args: object, meta?: object) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
  });

  it('resumes at B a call stream that broke at A, with everything A sent after the break', async () => {
    const session = await openSession(a);
    const running = await send(
      a,
      'POST',
      session,
      call(7, 'demo_count', { n: 5, delayMs: 60 }, { progressToken: 'p' }),
    );
    const first = await readEvents(running, (all) => all.some((e) => e.data.includes('notifications/progress')));
    const lastId = first.filter((e) => e.id).at(-1)?.id as string;
    const resumed = await eventually('B to accept the resume', async () => {
      const res = await send(b, 'GET', session, undefined, { 'last-event-id': lastId });
      if (res.status === 200) return res;
      await res.body?.cancel();
      return undefined;
    });
    const rest = await readEvents(resumed, (all) => all.some((e) => e.data.includes('"id":7')));
    const progress = [...first, ...rest]
      .filter((e) => e.data.includes('notifications/progress'))
      .map((e) => (JSON.parse(e.data) as { params: { progress: number } }).params.progress);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.parse(rest.at(-1)?.data as string)).toMatchObject({
      id: 7,
      result: { content: [{ text: 'counted to 5' }] },
    });
  });

  it("delivers a client's answer to a relayed elicitation, posted at B, to the call running at A", async () => {
    const session = await openSession(a, { elicitation: {} });
    const running = await send(a, 'POST', session, call(3, 'conf_test_elicitation', { message: 'name?' }));
    const reader = eventReader(running);
    const events = await reader.until((all) => all.some((e) => e.data.includes('elicitation/create')));
    const asked = JSON.parse(events.find((e) => e.data.includes('elicitation/create'))?.data as string) as {
      id: string;
    };
    const answer = { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
    const answered = await send(b, 'POST', session, { jsonrpc: '2.0', id: asked.id, result: answer });
    expect(answered.status).toBe(202);
    const all = await reader.until((seen) => seen.some((e) => e.data.includes('"id":3')));
    await reader.cancel();
    expect(JSON.parse(all.at(-1)?.data as string)).toMatchObject({
      id: 3,
      result: { content: [{ text: expect.stringContaining('"username":"ada"') }] },
    });
  });

  it('cancels at A a call whose cancellation was posted at B', async () => {
    const session = await openSession(a);
    const running = await send(
      a,
      'POST',
      session,
      call(9, 'demo_count', { n: 50, delayMs: 100 }, { progressToken: 'c' }),
    );
    const reader = eventReader(running);
    await reader.until((all) => all.some((e) => e.data.includes('notifications/progress')));
    const cancelled = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9, reason: 'from b' } };
    expect((await send(b, 'POST', session, cancelled)).status).toBe(202);
    const events = await reader.until((all) => all.some((e) => e.data.includes('"id":9')));
    await reader.cancel();
    expect(JSON.parse(events.at(-1)?.data as string)).toMatchObject({
      id: 9,
      error: { message: expect.stringMatching(/from b/) },
    });
  });
});
