// The session machine with the real protocol layer against a backend that speaks only MCP 2026-07-28 (the v2 SDK's
// createMcpHandler with legacy requests rejected): the era probe, the per-request envelope, no session, list changes
// through subscriptions/listen; and the era cached per backend against a 2025-era server.
import { afterEach, describe, expect, it } from 'vitest';
import { NO_OUTGOING_AUTH } from '../../../src/actors/mcp/auth/outgoing-auth.ts';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { createMcpProtocol } from '../../../src/actors/mcp/mcp-protocol.ts';
import { isEraMismatchError } from '../../../src/machines/backend-session-failures.ts';
import { withBackendSession } from '../../../src/machines/backend-session-requests.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../../../src/runtime/start-backend-session.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { type ModernServer, startModernServer } from '../../fixtures/mcp/modern-server.ts';
import { until } from '../../support/eventually.ts';
import { captureLogger, waitForPhase, waitForStream } from './helpers.ts';

let modern: ModernServer | undefined;
let legacy: FaultServer | undefined;
let session: RunningBackendSession | undefined;
afterEach(async () => {
  await session?.stop();
  await modern?.close();
  await legacy?.close();
  session = undefined;
  modern = undefined;
  legacy = undefined;
});

const META = 'io.modelcontextprotocol/';

describe('backend session against a 2026-07-28-only backend', () => {
  it('probes with server/discover, speaks 2026-07-28 with the envelope on every request, and keeps no session', async () => {
    modern = await startModernServer();
    const { log } = captureLogger();
    session = startBackendSession({ backendId: 'modern', url: modern.url, log, rng: seededRng(1) });
    await waitForPhase(session.actor, 'ready');
    const ctx = session.actor.getSnapshot().context;
    expect(ctx.era).toMatchObject({ era: 'modern', version: '2026-07-28' });
    expect(ctx.session).toMatchObject({ protocolVersion: '2026-07-28', sessionId: undefined });
    expect(ctx.session?.serverInfo).toEqual({ name: 'modern-fixture', version: '2.0.0' });
    expect(ctx.lists.tools.map((t) => t.name)).toEqual(['echo', 'add', 'locate', 'confirm', 'summarize']);
    expect(ctx.lists.prompts.map((p) => p.name)).toEqual(['greeting']);
    expect(ctx.lists.resources.map((r) => r.uri)).toEqual(['modern://readme']);

    const call = await withBackendSession(session.actor, (c) =>
      c.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }),
    );
    expect(call.result).toMatchObject({ content: [{ type: 'text', text: '5' }] });
    expect(call.report.httpStatus).toBe(200);
    await session.stop();

    const reqs = modern.control.requests;
    expect(reqs[0]?.rpcMethod).toBe('server/discover');
    expect(reqs.map((r) => r.rpcMethod)).not.toContain('initialize');
    expect(reqs.every((r) => r.httpMethod === 'POST')).toBe(true); // no GET stream, no DELETE
    for (const r of reqs) {
      const what = r.rpcMethod ?? '';
      expect(r.headers['mcp-session-id'], what).toBeUndefined();
      expect(r.headers['mcp-protocol-version'], what).toBe('2026-07-28');
      expect(r.headers['mcp-method'], what).toBe(r.rpcMethod);
      expect(r.meta?.[`${META}protocolVersion`], what).toBe('2026-07-28');
      expect(r.meta?.[`${META}clientInfo`], what).toEqual({ name: 'mcpre', version: '0.1.0' });
      expect(r.meta?.[`${META}clientCapabilities`], what).toEqual({});
    }
    // The listen stream stays open until the session stops, so its response never finishes; all others are 200.
    for (const r of reqs.filter((x) => x.rpcMethod !== 'subscriptions/listen')) expect(r.status, r.rpcMethod).toBe(200);
    expect(reqs.filter((r) => r.rpcMethod === 'subscriptions/listen').length).toBeGreaterThanOrEqual(1);
    const called = reqs.find((r) => r.rpcMethod === 'tools/call');
    expect(called?.headers['mcp-name']).toBe('add');
  });

  it('opens subscriptions/listen for the advertised list changes and re-fetches tools on a change', async () => {
    modern = await startModernServer();
    const { log } = captureLogger();
    const changes: string[][] = [];
    session = startBackendSession({ backendId: 'modern', url: modern.url, log, rng: seededRng(1) });
    session.actor.on('lists.changed', (e) => changes.push(e.changed));
    await waitForStream(session.actor, 'open');
    expect(modern.control.listeners()).toBe(1);
    const listen = modern.control.requests.find((r) => r.rpcMethod === 'subscriptions/listen');
    expect(listen?.headers['mcp-protocol-version']).toBe('2026-07-28');
    // A listen stream is never resumed, so its opening re-fetches the announced lists once (a change between the
    // discovery and the open would be lost otherwise); count from after that fetch.
    await until(
      'the re-fetch after the stream opened',
      () =>
        modern?.control.count({ rpcMethod: 'tools/list' }) === 2 &&
        session?.actor.getSnapshot().matches({ session: { ready: { lists: 'idle' } } }) === true,
    );
    const toolsLists = modern.control.count({ rpcMethod: 'tools/list' });
    modern.control.addTool('fresh');
    await until(
      'the new tool',
      () => session?.actor.getSnapshot().context.lists.tools.some((t) => t.name === 'fresh') === true,
    );
    expect(session.actor.getSnapshot().context.lists.tools.map((t) => t.name)).toEqual([
      'echo',
      'add',
      'locate',
      'confirm',
      'summarize',
      'fresh',
    ]);
    expect(modern.control.count({ rpcMethod: 'tools/list' })).toBe(toolsLists + 1);
    expect(changes.at(-1)).toEqual(['tools']);
  });
});

describe('era cache', () => {
  it('probes a 2025-era backend once: a re-initialization after a lost session does not probe again', async () => {
    legacy = await startFaultServer();
    const { log } = captureLogger();
    session = startBackendSession({ backendId: 'legacy', url: legacy.url, log, rng: seededRng(1) });
    await waitForStream(session.actor, 'open');
    expect(session.actor.getSnapshot().context.era).toMatchObject({ era: 'legacy' });
    legacy.control.dropSessions();
    const result = await withBackendSession(session.actor, (c) =>
      c.request('tools/call', { name: 'echo', arguments: { n: 1 } }),
    );
    expect(result.result).toMatchObject({ content: [{ type: 'text' }] });
    expect(session.actor.getSnapshot().context.reinitializations).toBe(1);
    expect(legacy.control.count({ rpcMethod: 'initialize' })).toBe(2);
    expect(legacy.control.count({ rpcMethod: 'server/discover' })).toBe(1);
  });

  it('a cached 2025-era decision meets a 2026-07-28-only server: initialize fails as an era mismatch (probe again)', async () => {
    modern = await startModernServer();
    const { log } = captureLogger();
    const http = createHttpClient({ clock: systemClock });
    try {
      const protocol = createMcpProtocol({
        url: modern.url,
        transport: 'streamable-http',
        http,
        auth: NO_OUTGOING_AUTH.forSession(),
        clock: systemClock,
        log,
      });
      const connection = await protocol.connect(AbortSignal.timeout(5000), {
        era: 'legacy',
        version: undefined,
        reason: 'cached',
      });
      expect(modern.control.count({ rpcMethod: 'server/discover' })).toBe(0); // the cached era is not probed
      const failure = await connection.initialize(AbortSignal.timeout(5000)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isEraMismatchError(failure)).toBe(true);
      expect(failure).toMatchObject({ kind: 'unsupportedProtocol', retryable: false });
      await connection.close();
    } finally {
      await http.close();
    }
  });
});
