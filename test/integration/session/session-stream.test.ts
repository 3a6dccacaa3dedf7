// The GET (server-to-client) stream against a real SDK server: dropped with and without event ids, the server's
// `retry` field, replay after Last-Event-ID; plus a request's own progress and log notifications reaching its caller,
// and the legacy HTTP+SSE transport.
import type { LoggingMessageNotification, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendSessionEmitted } from '../../../src/machines/backend-session-context.ts';
import type { SessionPolicy } from '../../../src/machines/backend-session-policy.ts';
import { withBackendSession } from '../../../src/machines/backend-session-requests.ts';
import { liveConnection } from '../../../src/machines/backend-session-status.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../../../src/runtime/start-backend-session.ts';
import { type FaultServer, type FaultServerOptions, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { until } from '../../support/eventually.ts';
import { captureLogger, waitForPhase, waitForStream } from './helpers.ts';

const policy: Partial<SessionPolicy> = { initialBackoffMs: 200, backoffJitter: 0, stepTimeoutMs: 3000 };

let server: FaultServer | undefined;
let session: RunningBackendSession | undefined;
afterEach(async () => {
  await session?.stop();
  await server?.close();
  session = undefined;
  server = undefined;
});

async function start(
  fixture: FaultServerOptions = {},
  url?: (s: FaultServer) => string,
  extra: Partial<Parameters<typeof startBackendSession>[0]> = {},
) {
  server = await startFaultServer(fixture);
  const { log } = captureLogger();
  session = startBackendSession({
    ...extra,
    backendId: 'fixture',
    url: url ? url(server) : server.url,
    transport: url ? 'sse' : 'streamable-http',
    log,
    rng: seededRng(5),
    policy,
  });
  const emitted: BackendSessionEmitted[] = [];
  session.actor.on('lists.changed', (e) => emitted.push(e));
  return { server, session, emitted };
}

const gets = (s: FaultServer) => s.control.requests.filter((r) => r.httpMethod === 'GET' && r.path === '/mcp');

describe('GET stream drops', () => {
  it('with event ids: resumes with Last-Event-ID and receives what was sent while it was down', async () => {
    const { server, session } = await start();
    await waitForStream(session.actor, 'open');
    // Give the stream an event id.
    await server.control.broadcastLog('first');
    await until('an event id', () => session.actor.getSnapshot().context.stream.lastEventId !== undefined, {
      timeoutMs: 5000,
    });
    const seenId = session.actor.getSnapshot().context.stream.lastEventId;
    expect(server.control.dropGetStreams('destroy')).toBe(1);
    // While the stream is down, the tool list changes: the notification is stored and replayed on resumption.
    await server.control.setTools(['echo', 'while-down']);
    await until('a resuming GET', () => gets(server).length >= 2, { timeoutMs: 5000 });
    expect(gets(server)[1]?.headers['last-event-id']).toBe(seenId);
    await until(
      'the replayed list_changed to be acted on',
      () => session.actor.getSnapshot().context.lists.tools.some((t) => t.name === 'while-down'),
      { timeoutMs: 5000 },
    );
    await waitForStream(session.actor, 'open');
    expect(session.actor.getSnapshot().context.reinitializations).toBe(0);
  });

  it('without event ids: reopens a fresh GET (no Last-Event-ID)', async () => {
    const { server, session } = await start({ eventIds: false });
    await waitForStream(session.actor, 'open');
    // An event's id is recorded before its message is delivered: once the log message arrived, no id came with it.
    const delivered: unknown[] = [];
    const off = liveConnection(session.actor.getSnapshot())?.onEvent((e) => {
      if (e.type === 'notification' && e.method === 'notifications/message') delivered.push(e.params);
    });
    await server.control.broadcastLog('no id');
    await until('the log message on the GET stream', () => delivered.length === 1);
    off?.();
    expect(session.actor.getSnapshot().context.stream.lastEventId).toBeUndefined();
    server.control.dropGetStreams('end');
    await until('a new GET', () => gets(server).length >= 2, { timeoutMs: 5000 });
    expect(gets(server)[1]?.headers['last-event-id']).toBeUndefined();
    await waitForStream(session.actor, 'open');
  });

  it("waits the server's retry value before reconnecting, not the local backoff", async () => {
    const { server, session } = await start({ retryMs: 600 });
    await waitForStream(session.actor, 'open');
    await until('the retry field', () => session.actor.getSnapshot().context.retryOverrideMs === 600, {
      timeoutMs: 5000,
    });
    const droppedAt = Date.now();
    server.control.dropGetStreams('end');
    await until('the reconnecting GET', () => gets(server).length >= 2, { timeoutMs: 5000 });
    const waited = (gets(server)[1]?.at ?? 0) - droppedAt;
    // 600 ms asked for; the local backoff here would be 200 ms.
    expect(waited).toBeGreaterThanOrEqual(550);
    expect(waited).toBeLessThan(1500);
  });

  it('the stream ends cleanly and often (idle-closing server): reconnects with growing waits, never gives up', async () => {
    const { server, session } = await start({ eventIds: false });
    await waitForStream(session.actor, 'open');
    for (let i = 0; i < 4; i++) {
      await waitForStream(session.actor, 'open');
      server.control.dropGetStreams('end');
      await until(`reconnect ${i + 1}`, () => gets(server).length >= i + 2);
    }
    const at = gets(server).map((r) => r.at);
    const waits = at.slice(1).map((t, i) => t - (at[i] as number));
    // 200, 400, 800, 1600 ms (plus scheduling); the breaker is not involved: clean ends are not failures.
    expect(waits[3]).toBeGreaterThan(waits[0] ?? 0);
    expect(session.actor.getSnapshot().context.consecutiveFailures).toBe(0);
  });
});

describe('per-request notifications', () => {
  it("a request's log and progress notifications go to its caller", async () => {
    const { session } = await start();
    await waitForPhase(session.actor, 'ready');
    const logs: LoggingMessageNotification['params'][] = [];
    const progress: Progress[] = [];
    const dropped: string[] = [];
    session.actor.getSnapshot().context.connection?.onEvent((e) => {
      if (e.type === 'notification') dropped.push(e.method);
    });
    const r = await withBackendSession(session.actor, (c) =>
      c.request(
        'tools/call',
        { name: 'log', arguments: {} },
        { onLog: (l) => logs.push(l), onProgress: (p) => progress.push(p) },
      ),
    );
    expect(r.result.content).toEqual([{ type: 'text', text: 'logged' }]);
    expect(logs).toEqual([{ level: 'info', logger: 'fixture', data: 'working on it' }]);
    expect(progress).toEqual([{ progress: 1, total: 2 }]);
    expect(dropped).not.toContain('notifications/message');
  });
});

describe('server-to-client requests', () => {
  it("a sampling request on a call's stream is answered by that call's handler, and refused without one", async () => {
    const { session } = await start({ tools: ['sample'] }, undefined, { capabilities: { sampling: {} } });
    await waitForPhase(session.actor, 'ready');
    const asked: string[] = [];
    const r = await withBackendSession(session.actor, (c) =>
      c.request(
        'tools/call',
        { name: 'sample', arguments: { prompt: 'say hi' } },
        {
          onServerRequest: async (request) => {
            asked.push(request.method);
            return { role: 'assistant', model: 'relay', content: { type: 'text', text: 'hi from the client' } };
          },
        },
      ),
    );
    expect(asked).toEqual(['sampling/createMessage']);
    expect(r.result.content).toEqual([{ type: 'text', text: 'sampled: hi from the client' }]);
    const refused = await withBackendSession(session.actor, (c) =>
      c.request('tools/call', { name: 'sample', arguments: {} }),
    ).catch((err: unknown) => err as Error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/does not answer sampling\/createMessage|Method not found/);
  });
});

describe('legacy HTTP+SSE transport (2024-11-05)', () => {
  it('initializes over /sse, calls tools, and re-initializes when the SSE stream (the session) goes away', async () => {
    const { server, session } = await start({}, (s) => s.sseUrl);
    await waitForPhase(session.actor, 'ready');
    await waitForStream(session.actor, 'open');
    const ctx = session.actor.getSnapshot().context;
    expect(ctx.session?.transport).toBe('sse');
    expect(ctx.lists.tools).toHaveLength(5);
    const r = await withBackendSession(session.actor, (c) =>
      c.request('tools/call', { name: 'add', arguments: { a: 40, b: 2 } }),
    );
    expect(r.result.content).toEqual([{ type: 'text', text: '42' }]);
    const first = ctx.session?.sessionId;
    expect(server.control.dropSessions()).toBe(1);
    await until('a re-initialization', () => session.actor.getSnapshot().context.reinitializations === 1, {
      timeoutMs: 5000,
    });
    await waitForPhase(session.actor, 'ready');
    expect(session.actor.getSnapshot().context.session?.sessionId).not.toBe(first);
    expect(server.control.stats().initializes).toBe(2);
    const again = await withBackendSession(session.actor, (c) =>
      c.request('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }),
    );
    expect(again.result.content).toEqual([{ type: 'text', text: '3' }]);
  });
});
