// Resumable streams at the gateway's front: a client whose POST response stream breaks mid-call reconnects with GET
// and Last-Event-ID and receives what it missed, the call's result included. (Session caps:
// gateway-session-quota.test.ts.)
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { eventually, until } from '../../support/eventually.ts';

const accept = 'application/json, text/event-stream';
const version = '2025-11-25';

/** Read SSE events from a response until `stop` says so; returns them. */
async function readEvents(
  res: Response,
  stop: (events: EventSourceMessage[]) => boolean,
): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (let i = 0; i < 1000 && !stop(events); i++) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  await reader.cancel();
  return events;
}

describe('gateway resumable streams', () => {
  let backend: DemoBackend;
  let gateway: RunningGateway;

  beforeAll(async () => {
    backend = await startDemoBackend();
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [{ name: 'demo', url: backend.url.href }],
      }),
      logger: pino({ level: 'silent' }),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
  });

  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
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
