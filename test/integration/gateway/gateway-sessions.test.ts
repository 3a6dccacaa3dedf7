// The 2025-era session protocol the gateway serves itself (src/gateway/sessions): an answer is one JSON body unless a
// related message comes first, then a resumable SSE stream opened by a priming event; unknown sessions are 404 on
// every method and DELETE ends one; `notifications/cancelled` aborts the call; a backend's elicitation reaches a real
// SDK client on the call's stream and its answer goes back. (Resumption: gateway-resume.test.ts; caps:
// gateway-session-quota.test.ts; the official suites: gateway-conformance.test.ts.)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { until } from '../../support/eventually.ts';
import { send as sendTo } from '../../support/mcp-http.ts';
import { call, openSession } from '../../support/shared-session-flows.ts';
import { eventReader, readEvents } from '../../support/sse.ts';
import { type ConformanceBackend, startConformanceBackend } from './conformance-backend.ts';

describe('gateway 2025-era sessions', () => {
  let demo: DemoBackend;
  let conformance: ConformanceBackend;
  let gateway: RunningGateway;

  beforeAll(async () => {
    demo = await startDemoBackend();
    conformance = await startConformanceBackend();
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'demo', url: demo.url.href },
          { name: 'conf', url: conformance.url.href },
        ],
      }),
      logger: pino({ level: 'silent' }),
      // Whether an answer is one JSON body must not depend on the machine's load: a call pending past this becomes a
      // stream (gateway-resume.test.ts shows it); here only what comes before the result decides.
      streamAfterMs: 60_000,
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
  });

  afterAll(async () => {
    await gateway?.close();
    await demo?.close();
    await conformance?.close();
  });

  const send = (method: string, session: string | undefined, body?: object) => sendTo(gateway, method, session, body);

  it('answers with one JSON body when nothing comes before the result, with a stream when progress does', async () => {
    const session = await openSession(gateway);
    const plain = await send('POST', session, call(1, 'demo_echo', { message: 'hi' }));
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(plain.headers.get('mcp-session-id')).toBe(session);
    expect(await plain.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hi' }] } });

    const counted = await send('POST', session, call(2, 'demo_count', { n: 2 }, { progressToken: 'p' }));
    expect(counted.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = await readEvents(counted, (all) => all.some((e) => e.data.includes('"id":2')));
    // The priming event comes first: an id and no data, so the client can resume from the very start.
    expect(events[0]).toMatchObject({ data: '' });
    expect(events[0]!.id).toBeTruthy();
    expect(events.every((e) => e.id)).toBe(true);
    const messages = events.slice(1).map((e) => JSON.parse(e.data) as { method?: string; id?: number });
    expect(messages.filter((m) => m.method === 'notifications/progress')).toHaveLength(2);
    expect(messages.at(-1)).toMatchObject({ id: 2, result: { content: [{ text: 'counted to 2' }] } });
  });

  it('answers 404 to every method of an unknown session, and DELETE ends a session', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, body] of [['POST', call(1, 'demo_echo', { message: 'x' })], ['GET'], ['DELETE']] as const) {
      const res = await send(method, unknown, body);
      expect(res.status, method).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: -32001, message: 'Session not found' } });
    }
    const session = await openSession(gateway);
    const ended = await send('DELETE', session);
    expect(ended.status).toBe(200);
    expect((await send('POST', session, call(3, 'demo_echo', { message: 'x' }))).status).toBe(404);
  });

  it('aborts a call on notifications/cancelled and answers it at once', async () => {
    const session = await openSession(gateway);
    const started = performance.now();
    const running = await send('POST', session, call(9, 'demo_count', { n: 50, delayMs: 100 }, { progressToken: 'c' }));
    const reader = eventReader(running);
    await reader.until((all) => all.some((e) => e.data.includes('notifications/progress')));
    const cancel = await send('POST', session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 9, reason: 'changed my mind' },
    });
    expect(cancel.status).toBe(202);
    const events = await reader.until((all) => all.some((e) => e.data.includes('"id":9')));
    await reader.cancel();
    const answer = JSON.parse(events.at(-1)!.data) as { id: number; error?: { message: string } };
    expect(answer).toMatchObject({ id: 9, error: { message: expect.stringMatching(/cancelled: changed my mind/) } });
    // Counting to 50 at 100 ms a step would take 5 s.
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it("relays a backend's elicitation to an SDK client on the call's stream and its answer back", async () => {
    const client = new Client({ name: 'elicited', version: '1' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(String(req.params.message));
      return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
    });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
    try {
      const result = await client.callTool({ name: 'conf_test_elicitation', arguments: { message: 'who are you?' } });
      expect(asked).toEqual(['who are you?']);
      expect(result.content).toEqual([
        { type: 'text', text: 'User response: action=accept, content={"username":"ada","email":"ada@example.com"}' },
      ]);
    } finally {
      await client.close();
    }
  });
});
