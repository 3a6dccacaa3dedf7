// Two gateways sharing one session store, as replicas would: a 2025-era session opened at one is served by the other
// from its record alone. A call's stream broken at A resumes at B with what A sent after the break; a client's answer
// to a relayed elicitation and its cancellation reach the call wherever they are posted; a list change seen by A
// reaches a GET stream held by B, and the same change seen by B is not announced again. (One process here, so the bus
// is the in-memory one; the Redis store runs the same flows across processes.)
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { EventBudget } from '../../../src/gateway/event-store.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { MemorySessionStore } from '../../../src/gateway/sessions/memory-store.ts';
import { eventually, until } from '../../support/eventually.ts';
import { eventReader, readEvents } from '../../support/sse.ts';
import { type ConformanceBackend, startConformanceBackend } from './conformance-backend.ts';

const accept = 'application/json, text/event-stream';
const version = '2025-11-25';

describe('gateways sharing a session store', () => {
  let demo: DemoBackend;
  let conformance: ConformanceBackend;
  let store: MemorySessionStore;
  let a: RunningGateway;
  let b: RunningGateway;

  beforeAll(async () => {
    demo = await startDemoBackend();
    conformance = await startConformanceBackend();
    store = new MemorySessionStore({
      limits: { maxSessions: 100, maxSessionsPerClient: 100, idleTimeoutMs: 600_000 },
      eventBudget: new EventBudget(),
    });
    const start = () =>
      startGateway({
        config: validateGatewayConfig({
          backends: [
            { name: 'demo', url: demo.url.href },
            { name: 'conf', url: conformance.url.href },
          ],
        }),
        logger: pino({ level: 'silent' }),
        sessionStore: store,
      });
    [a, b] = [await start(), await start()];
    await until('both gateways ready', () => a.readiness().ready && b.readiness().ready);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await demo?.close();
    await conformance?.close();
  });

  const send = (gateway: RunningGateway, method: string, session: string | undefined, body?: object, more = {}) =>
    fetch(gateway.url, {
      method,
      headers: {
        accept: method === 'GET' ? 'text/event-stream' : accept,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': version } : {}),
        ...more,
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  async function openSession(at: RunningGateway, capabilities = {}): Promise<string> {
    const res = await send(at, 'POST', undefined, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: version, capabilities, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    return res.headers.get('mcp-session-id')!;
  }

  const call = (id: number, name: string, args: object, meta?: object) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
  });

  it('serves a session opened at A from B, and a DELETE at B ends it at A', async () => {
    const session = await openSession(a);
    const atB = await send(b, 'POST', session, call(1, 'demo_echo', { message: 'from b' }));
    expect(await atB.json()).toMatchObject({ id: 1, result: { content: [{ text: 'from b' }] } });
    expect((await send(b, 'DELETE', session)).status).toBe(200);
    expect((await send(a, 'POST', session, call(2, 'demo_echo', { message: 'x' }))).status).toBe(404);
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
    const lastId = first.filter((e) => e.id).at(-1)!.id!;
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
    expect(JSON.parse(rest.at(-1)!.data)).toMatchObject({ id: 7, result: { content: [{ text: 'counted to 5' }] } });
  });

  it("delivers a client's answer to a relayed elicitation, posted at B, to the call running at A", async () => {
    const session = await openSession(a, { elicitation: {} });
    const running = await send(a, 'POST', session, call(3, 'conf_test_elicitation', { message: 'name?' }));
    const reader = eventReader(running);
    const events = await reader.until((all) => all.some((e) => e.data.includes('elicitation/create')));
    const asked = JSON.parse(events.find((e) => e.data.includes('elicitation/create'))!.data) as { id: string };
    const answered = await send(b, 'POST', session, {
      jsonrpc: '2.0',
      id: asked.id,
      result: { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } },
    });
    expect(answered.status).toBe(202);
    const all = await reader.until((seen) => seen.some((e) => e.data.includes('"id":3')));
    await reader.cancel();
    expect(JSON.parse(all.at(-1)!.data)).toMatchObject({
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
    const cancel = await send(b, 'POST', session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 9, reason: 'from b' },
    });
    expect(cancel.status).toBe(202);
    const events = await reader.until((all) => all.some((e) => e.data.includes('"id":9')));
    await reader.cancel();
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({
      id: 9,
      error: { message: expect.stringMatching(/from b/) },
    });
  });

  it("announces a list change A saw on B's GET stream, and not again when B sees the same change", async () => {
    const session = await openSession(a);
    const stream = await send(b, 'GET', session);
    expect(stream.status).toBe(200);
    const reader = eventReader(stream);
    const tools = (e: { data: string }) => e.data.includes('notifications/tools/list_changed');
    // What the bus delivers, counted where it is decided (flush() announces at once).
    let delivered = 0;
    const off = store.bus.subscribe((signal) => {
      if (signal.type === 'lists-changed' && signal.kinds.includes('tools')) delivered += 1;
    });
    try {
      const removedAtA = a.aggregator.remove('demo');
      a.aggregator.flush();
      expect(delivered).toBe(1);
      await reader.until((all) => all.some(tools));
      // B makes the same change: its lists are what A announced already, so nothing is delivered.
      const removedAtB = b.aggregator.remove('demo');
      b.aggregator.flush();
      expect(delivered).toBe(1);
      a.aggregator.add(removedAtA!);
      a.aggregator.flush();
      expect(delivered).toBe(2);
      const events = await reader.until((all) => all.filter(tools).length >= 2);
      expect(events.filter(tools)).toHaveLength(2);
      b.aggregator.add(removedAtB!);
      b.aggregator.flush();
      expect(delivered).toBe(2);
    } finally {
      off();
      await reader.cancel();
    }
  });

  it('keeps one standalone stream per session: a GET at B ends the one A held', async () => {
    const session = await openSession(a);
    const atA = await send(a, 'GET', session);
    expect(atA.status).toBe(200);
    const atB = await send(b, 'GET', session);
    expect(atB.status).toBe(200);
    // A's stream ends (the read finds its end), B's stays open for what comes.
    const ended = await eventReader(atA).until(() => false);
    expect(ended).toEqual([]);
    await atB.body?.cancel();
  });
});
