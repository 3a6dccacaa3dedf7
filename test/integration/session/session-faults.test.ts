// Faults injected by a real SDK server over loopback, and what the session does about each: 404 (session dropped),
// 5xx, slow responses, malformed JSON-RPC, oversized events, version refusal, list changes.
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import type { BackendSessionEmitted } from '../../../src/machines/backend-session-context.ts';
import type { SessionPolicy } from '../../../src/machines/backend-session-policy.ts';
import { withBackendSession } from '../../../src/machines/backend-session-requests.ts';
import { sessionPhase, sessionReason } from '../../../src/machines/backend-session-status.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import {
  type RunningBackendSession,
  type StartBackendSessionOptions,
  startBackendSession,
} from '../../../src/runtime/start-backend-session.ts';
import { type FaultServer, type FaultServerOptions, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { until } from '../../support/eventually.ts';
import { captureLogger, waitForPhase, waitForStream, waitForStreamOpenAndListsSettled } from './helpers.ts';

const fast: Partial<SessionPolicy> = {
  initialBackoffMs: 50,
  maxBackoffMs: 400,
  backoffJitter: 0,
  probeIntervalMs: 600,
  stepTimeoutMs: 2000,
  stableAfterMs: 200,
};

let server: FaultServer | undefined;
let session: RunningBackendSession | undefined;
afterEach(async () => {
  await session?.stop();
  await server?.close();
  session = undefined;
  server = undefined;
});

async function start(fixture: FaultServerOptions = {}, extra: Partial<StartBackendSessionOptions> = {}) {
  server = await startFaultServer(fixture);
  const { log, lines } = captureLogger();
  const emitted: BackendSessionEmitted[] = [];
  session = startBackendSession({
    backendId: 'fixture',
    url: server.url,
    log,
    rng: seededRng(3),
    policy: fast,
    ...extra,
  });
  for (const type of ['lists.changed', 'notification.ignored', 'circuit.opened', 'lists.refreshFailed'] as const) {
    session.actor.on(type, (e) => emitted.push(e));
  }
  return { server, session, lines, emitted };
}

// The spec's 404, and the 400 "No valid session ID provided" the SDK's example servers (server-everything among them)
// answer instead: the same session loss, the same one re-initialization and one retry.
describe.each(['404', '400'] as const)('%s: the backend dropped the session', (lostSession) => {
  it('re-initializes once, re-discovers, reopens the GET stream, and retries the caller once', async () => {
    const { server, session } = await start({ lostSession });
    await waitForStream(session.actor, 'open');
    const first = session.actor.getSnapshot().context.session?.sessionId;
    server.control.dropSessions();
    // Three concurrent calls hit the 404: one re-initialization, every call retried once and answered.
    const calls = await Promise.all(
      [1, 2, 3].map((i) =>
        withBackendSession(session.actor, (c) => c.request('tools/call', { name: 'add', arguments: { a: i, b: 1 } })),
      ),
    );
    expect(calls.map((c) => (c.result.content as Array<{ text: string }>)[0]?.text)).toEqual(['2', '3', '4']);
    await waitForPhase(session.actor, 'ready');
    const ctx = session.actor.getSnapshot().context;
    expect(ctx.session?.sessionId).not.toBe(first);
    expect(ctx.reinitializations).toBe(1);
    expect(server.control.stats().initializes).toBe(2);
    expect(ctx.lists.tools).toHaveLength(5);
    // The failed attempts carried the old session id and got the loss answer; nothing after the re-initialization did.
    // (The era probe, `server/discover`, which this 2025-era server refuses, is not a session request.)
    const lost = server.control.requests.filter(
      (r) => r.status === Number(lostSession) && r.rpcMethod !== 'server/discover',
    );
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost.every((r) => r.headers['mcp-session-id'] === first)).toBe(true);
    await waitForStream(session.actor, 'open');
    const gets = server.control.requests.filter((r) => r.httpMethod === 'GET' && r.headers['mcp-session-id'] !== first);
    expect(gets.at(-1)?.headers['last-event-id']).toBeUndefined();
  });

  it('after N requests the fixture drops sessions; the session keeps serving calls', async () => {
    const { server, session } = await start({ lostSession });
    await waitForPhase(session.actor, 'ready');
    server.control.dropSessionsAfter(3);
    for (let i = 0; i < 10; i++) {
      const r = await withBackendSession(session.actor, (c) =>
        c.request('tools/call', { name: 'echo', arguments: { i } }),
      );
      expect((r.result.content as Array<{ text: string }>)[0]?.text).toBe(JSON.stringify({ i }));
    }
    expect(session.actor.getSnapshot().context.reinitializations).toBe(1);
  });
});

describe('5xx, the circuit breaker and the half-open probe', () => {
  it('backs off through 503s on initialize and becomes ready', async () => {
    server = await startFaultServer();
    server.control.failNext(2, 503, { rpcMethod: 'initialize' });
    const { log } = captureLogger();
    session = startBackendSession({ backendId: 'f', url: server.url, log, rng: seededRng(3), policy: fast });
    await waitForPhase(session.actor, 'ready');
    const ctx = session.actor.getSnapshot().context;
    expect(ctx.attempts).toBe(3);
    expect(ctx.consecutiveFailures).toBe(0);
    expect(server.control.count({ rpcMethod: 'initialize' })).toBe(3);
  });

  it('opens the circuit after exactly 5 failed attempts and closes it with a successful probe', async () => {
    server = await startFaultServer();
    server.control.failNext(5, 502, { rpcMethod: 'initialize' });
    const { log } = captureLogger();
    session = startBackendSession({ backendId: 'f', url: server.url, log, rng: seededRng(3), policy: fast });
    await waitForPhase(session.actor, 'unavailable');
    expect(server.control.count({ rpcMethod: 'initialize' })).toBe(5);
    expect(sessionReason(session.actor.getSnapshot())).toMatch(/circuit open after 5 consecutive failures.*HTTP 502/);
    await waitForPhase(session.actor, 'ready', 5000);
    expect(server.control.count({ rpcMethod: 'initialize' })).toBe(6);
    expect(session.actor.getSnapshot().context.circuit).toBe('closed');
  });

  it('a dead backend (connection refused) also ends in unavailable, then probes', async () => {
    server = await startFaultServer();
    const url = server.url;
    await server.close();
    server = undefined;
    const { log } = captureLogger();
    session = startBackendSession({ backendId: 'f', url, log, rng: seededRng(3), policy: fast });
    await waitForPhase(session.actor, 'unavailable', 5000);
    expect(session.actor.getSnapshot().context.lastFailure).toMatchObject({ kind: 'network' });
    expect(session.actor.getSnapshot().context.lastFailure?.message).toMatch(/ECONNREFUSED/);
  });
});

describe('slow and malformed responses', () => {
  it('a slow initialize hits the step timeout, then succeeds on retry', async () => {
    server = await startFaultServer();
    server.control.delayNext(1, 1500, { rpcMethod: 'initialize' });
    const { log } = captureLogger();
    session = startBackendSession({
      backendId: 'f',
      url: server.url,
      log,
      rng: seededRng(3),
      policy: { ...fast, stepTimeoutMs: 500 },
    });
    await waitForPhase(session.actor, 'ready', 5000);
    expect(session.actor.getSnapshot().context.attempts).toBe(2);
  });

  it('malformed JSON-RPC during discovery is a failed attempt; on a call it is that call’s error only', async () => {
    const { server, session } = await start();
    server.control.malformNext(1, 'jsonrpc', { rpcMethod: 'tools/list' });
    // The first discovery fails (malformed), the retry succeeds.
    await waitForPhase(session.actor, 'ready');
    expect(session.actor.getSnapshot().context.attempts).toBe(2);
    server.control.malformNext(1, 'json', { rpcMethod: 'tools/call' });
    await expect(
      withBackendSession(session.actor, (c) => c.request('tools/call', { name: 'echo', arguments: {} })),
    ).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/not valid JSON/) });
    expect(sessionPhase(session.actor.getSnapshot())).toBe('ready');
    const ok = await withBackendSession(session.actor, (c) =>
      c.request('tools/call', { name: 'add', arguments: { a: 1, b: 1 } }),
    );
    expect(ok.result.content).toEqual([{ type: 'text', text: '2' }]);
  });

  it('refuses oversized events: on a call the call fails; on the GET stream the attempt fails and reconnects', async () => {
    const http = createHttpClient({ clock: systemClock, maxEventBytes: 64 * 1024, maxResponseBytes: 64 * 1024 });
    try {
      const { server, session } = await start({}, { http });
      await waitForStream(session.actor, 'open');
      await expect(
        withBackendSession(session.actor, (c) =>
          c.request('tools/call', { name: 'big', arguments: { bytes: 100_000 } }),
        ),
      ).rejects.toThrow(/larger than 65536 bytes/);
      const getsBefore = server.control.count({ httpMethod: 'GET' });
      expect(server.control.sendOversizedEvent(100_000)).toBe(1);
      await until('a new GET', () => server.control.count({ httpMethod: 'GET' }) > getsBefore, { timeoutMs: 5000 });
      const ctx = session.actor.getSnapshot().context;
      expect(ctx.stream.lastProblem?.message).toMatch(/SSE event larger than 65536 bytes/);
      expect(sessionPhase(session.actor.getSnapshot())).toBe('ready');
    } finally {
      await session?.stop();
      session = undefined;
      await http.close();
    }
  });
});

describe('protocol versions', () => {
  for (const refusal of ['error', 'answer'] as const) {
    it(`a 2026-07-28-only server (${refusal}) ends in failed naming its versions after one re-probe`, async () => {
      const { server, session } = await start({ protocolVersions: ['2026-07-28'], versionRefusal: refusal });
      await waitForPhase(session.actor, 'failed');
      const reason = sessionReason(session.actor.getSnapshot()) ?? '';
      expect(reason).toContain('2026-07-28');
      expect(reason).toContain('2025-11-25');
      expect(session.actor.getSnapshot().context.lastFailure).toMatchObject({
        kind: 'unsupportedProtocol',
        supportedVersions: ['2026-07-28'],
      });
      // `failed` is final: the actor is done and can make no further request.
      expect(session.actor.getSnapshot().status).toBe('done');
      // A refusal right after the era probe could be a redeploy between the two: one more probe, then final.
      expect(server.control.count({ rpcMethod: 'initialize' })).toBe(2);
    });
  }

  for (const version of ['2025-06-18', '2025-03-26']) {
    it(`negotiates down to ${version} and sends it on every later request`, async () => {
      const { server, session } = await start({ serverVersion: version });
      await waitForStream(session.actor, 'open');
      expect(session.actor.getSnapshot().context.session?.protocolVersion).toBe(version);
      await withBackendSession(session.actor, (c) => c.request('tools/call', { name: 'echo', arguments: {} }));
      // The era probe (server/discover at 2026-07-28), then initialize, which carries no version header.
      const [probe, init, ...after] = server.control.requests;
      expect(probe?.rpcMethod).toBe('server/discover');
      expect(init?.rpcMethod).toBe('initialize');
      expect(init?.headers['mcp-protocol-version']).toBeUndefined();
      expect(after.length).toBeGreaterThan(3);
      for (const r of after) expect(r.headers['mcp-protocol-version']).toBe(version);
    });
  }
});

describe('list_changed', () => {
  it('re-fetches tools on list_changed and tells the owner what changed', async () => {
    const { server, session, emitted } = await start();
    await waitForStreamOpenAndListsSettled(session.actor);
    const before = server.control.count({ rpcMethod: 'tools/list' });
    await server.control.setTools(['echo', 'fresh']);
    await until('new tools', () => session.actor.getSnapshot().context.lists.tools.length === 2, { timeoutMs: 5000 });
    expect(session.actor.getSnapshot().context.lists.tools.map((t) => t.name)).toEqual(['echo', 'fresh']);
    expect(server.control.count({ rpcMethod: 'tools/list' })).toBe(before + 1);
    expect(emitted.filter((e) => e.type === 'lists.changed').at(-1)).toMatchObject({ changed: ['tools'] });
    // A list_changed that changes nothing: fetched again, owner not told.
    const changes = emitted.filter((e) => e.type === 'lists.changed').length;
    await server.control.sendListChanged('tools');
    await until(
      'the refetch, done',
      () =>
        server.control.count({ rpcMethod: 'tools/list' }) === before + 2 &&
        session.actor.getSnapshot().matches({ session: { ready: { lists: 'idle' } } }),
      { timeoutMs: 5000 },
    );
    expect(emitted.filter((e) => e.type === 'lists.changed')).toHaveLength(changes);
  });

  it('ignores list_changed for capabilities not advertised with listChanged', async () => {
    const { server, session, emitted } = await start({ listChanged: false });
    await waitForStream(session.actor, 'open');
    await server.control.setTools(['echo']);
    await until('ignored notification', () => emitted.some((e) => e.type === 'notification.ignored'), {
      timeoutMs: 5000,
    });
    expect(server.control.count({ rpcMethod: 'tools/list' })).toBe(1);
    expect(session.actor.getSnapshot().context.lists.tools).toHaveLength(5);
  });
});
