// Resumable streams at the gateway's front: a client whose POST response stream breaks mid-call reconnects with GET
// and Last-Event-ID and receives what it missed, the call's result included. (Session caps:
// gateway-session-quota.test.ts.)
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { eventually, until } from '../../support/eventually.ts';
import { readEvents } from '../../support/sse.ts';

const accept = 'application/json, text/event-stream';
const version = '2025-11-25';

describe('gateway resumable streams', () => {
  let backend: DemoBackend;
  let slow: FaultServer;
  let gateway: RunningGateway;

  beforeAll(async () => {
    backend = await startDemoBackend();
    slow = await startFaultServer({ tools: ['slow'], listChanged: false });
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'demo', url: backend.url.href },
          { name: 'fx', url: slow.url },
        ],
      }),
      logger: pino({ level: 'silent' }),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
  });

  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
    await slow?.close();
  });

  const post = (body: object, session?: string) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept,
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': version } : {}),
      },
      body: JSON.stringify(body),
    });

  async function openSession(): Promise<string> {
    const res = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    const session = res.headers.get('mcp-session-id')!;
    const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    expect(initialized.status).toBe(202);
    return session;
  }

  it('answers a call still pending after 100 ms on a stream opened by its priming event, though nothing precedes the result', async () => {
    const session = await openSession();
    const call = await post(
      { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'fx_slow', arguments: { ms: 400 } } },
      session,
    );
    // The headers come when the stream opens, 300 ms before the backend answers: a client that loses the connection
    // now can resume the call from the priming event's id.
    expect(call.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = await readEvents(call, (all) => all.some((e) => e.data.includes('"id":11')));
    expect(events[0]?.id).toBeTruthy();
    expect(events[0]?.data).toBe('');
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ id: 11, result: { content: [{ text: 'slow done' }] } });
  });

  it('replays what a broken POST stream missed after GET with Last-Event-ID, including the result', async () => {
    const session = await openSession();
    const call = await post(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'demo_count', arguments: { n: 5, delayMs: 60 }, _meta: { progressToken: 'p1' } },
      },
      session,
    );
    expect(call.headers.get('content-type')).toMatch(/text\/event-stream/);
    // Read until the first progress notification, then drop the connection.
    const first = await readEvents(call, (events) => events.some((e) => e.data.includes('notifications/progress')));
    const lastId = first.filter((e) => e.id).at(-1)?.id;
    expect(lastId).toBeTruthy();

    // The server notices the dropped connection a moment later; until then it answers 409 (stream still attached),
    // and a client retries, as the SDK client does with its backoff.
    const resumed = await eventually('an answer other than 409 to the resuming GET', async () => {
      const res = await fetch(gateway.url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          'mcp-session-id': session,
          'mcp-protocol-version': version,
          'last-event-id': lastId!,
        },
      });
      if (res.status !== 409) return res;
      await res.body?.cancel();
      return undefined;
    });
    expect(resumed.status).toBe(200);
    const rest = await readEvents(resumed, (events) => events.some((e) => e.data.includes('"id":7')));
    const messages = rest
      .filter((e) => e.data)
      .map(
        (e) => JSON.parse(e.data) as { id?: number; method?: string; params?: { progress?: number }; result?: unknown },
      );
    const progress = messages.filter((m) => m.method === 'notifications/progress').map((m) => m.params?.progress);
    const seenBefore = first
      .filter((e) => e.data.includes('notifications/progress'))
      .map((e) => (JSON.parse(e.data) as { params: { progress: number } }).params.progress);
    // Every progress step arrives exactly once across the two streams, and the result arrives after the resume.
    expect([...seenBefore, ...progress]).toEqual([1, 2, 3, 4, 5]);
    expect(messages.find((m) => m.id === 7)?.result).toMatchObject({
      content: [{ type: 'text', text: 'counted to 5' }],
    });
  });
});

describe('standalone (GET) stream resumption', () => {
  let backend: DemoBackend;
  const gateways: RunningGateway[] = [];

  beforeAll(async () => {
    backend = await startDemoBackend();
  });

  afterAll(async () => {
    for (const g of gateways) await g.close();
    await backend?.close();
  });

  async function start(resumableStreams?: object) {
    const gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [{ name: 'demo', url: backend.url.href }],
        ...(resumableStreams ? { server: { resumableStreams } } : {}),
      }),
      logger: pino({ level: 'silent' }),
    });
    gateways.push(gateway);
    await until('the gateway to be ready', () => gateway.readiness().ready);
    // The toggles below change the aggregate from what it is now: it must already hold the demo backend's lists
    // (readiness comes with the session, the aggregate a coalescing moment later).
    await until('the aggregate to list the demo tools', () => {
      gateway.aggregator.flush();
      return gateway.aggregator.view.tools.length > 0;
    });
    const init = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    const session = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    const get = (lastEventId?: string) =>
      fetch(gateway.url, {
        headers: {
          accept: 'text/event-stream',
          'mcp-session-id': session,
          'mcp-protocol-version': version,
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
      });
    /** Remove the demo backend's lists from the aggregate, or put them back: list changes for every session. */
    let removed: ReturnType<typeof gateway.aggregator.remove>;
    const toggle = () => {
      if (removed) {
        gateway.aggregator.add(removed);
        removed = undefined;
      } else removed = gateway.aggregator.remove('demo');
      gateway.aggregator.flush();
    };
    /** A resuming GET, once the gateway noticed the previous connection went away (409 until then). */
    const resume = (lastEventId: string) =>
      eventually('an answer other than 409 to the resuming GET', async () => {
        const res = await get(lastEventId);
        if (res.status !== 409) return res;
        await res.body?.cancel();
        return undefined;
      });
    return { gateway, get, toggle, resume };
  }

  const toolsChanged = (e: { data: string }) => e.data.includes('notifications/tools/list_changed');

  it('replays the list changes sent while the client was away, each once', async () => {
    const { get, toggle, resume } = await start();
    const stream = await get();
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    toggle();
    const before = await readEvents(stream, (events) => events.some(toolsChanged));
    const lastId = before.filter((e) => e.id).at(-1)!.id!;
    expect(lastId).toBeTruthy();
    // Away: the next change is logged for the resume.
    toggle();
    const resumed = await resume(lastId);
    expect(resumed.status).toBe(200);
    const after = await readEvents(resumed, (events) => events.some(toolsChanged));
    const ids = [...before, ...after].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...before, ...after].filter(toolsChanged)).toHaveLength(2);
  });

  it('refuses a resume from before an event it had to drop (its byte limit), rather than skip it', async () => {
    // Room for one event per session: a list change of three lists loses two before the client can acknowledge them.
    const { get, toggle, resume } = await start({ maxBytesPerSession: 300, maxBytes: 300 });
    const stream = await get();
    toggle();
    const before = await readEvents(stream, (events) => events.some((e) => e.id));
    const refused = await resume(before.find((e) => e.id)!.id!);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: -32000, message: 'Invalid event ID format' } });
  });
});
