// The session machine with the real protocol layer against the fault fixture over loopback: the happy path and the
// header rules of the 2025-11-25 transport.
import { afterEach, describe, expect, it } from 'vitest';
import { withBackendSession } from '../../../src/machines/backend-session-requests.ts';
import { streamPhase } from '../../../src/machines/backend-session-status.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../../../src/runtime/start-backend-session.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { captureLogger, waitForPhase, waitForStream } from './helpers.ts';

let server: FaultServer | undefined;
let session: RunningBackendSession | undefined;
afterEach(async () => {
  await session?.stop();
  await server?.close();
  session = undefined;
  server = undefined;
});

describe('backend session over Streamable HTTP against the fault fixture', () => {
  it('initializes, discovers every advertised list, opens the GET stream, and sends the session headers everywhere', async () => {
    server = await startFaultServer();
    const { log } = captureLogger();
    session = startBackendSession({ backendId: 'fixture', url: server.url, log, rng: seededRng(1) });
    await waitForPhase(session.actor, 'ready');
    await waitForStream(session.actor, 'open');
    const ctx = session.actor.getSnapshot().context;
    expect(ctx.session?.protocolVersion).toBe('2025-11-25');
    expect(ctx.session?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.lists.tools.map((t) => t.name)).toEqual(['echo', 'add', 'slow', 'big', 'log']);
    expect(ctx.lists.prompts.map((p) => p.name)).toEqual(['greeting']);
    expect(ctx.lists.resources.map((r) => r.uri)).toEqual(['fixture://readme']);
    expect(ctx.lists.resourceTemplates.map((r) => r.uriTemplate)).toEqual(['fixture://items/{id}']);

    const result = await withBackendSession(session.actor, (c) =>
      c.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }),
    );
    expect(result.result).toMatchObject({ content: [{ type: 'text', text: '5' }] });
    expect(result.report.httpStatus).toBe(200);

    await session.stop();
    const reqs = server.control.requests.filter((r) => r.path === '/mcp');
    const [probe, init, ...after] = reqs;
    // The era probe comes first: this 2025-era server answers server/discover with a 4xx and no modern error.
    expect(probe?.rpcMethod).toBe('server/discover');
    expect(probe?.headers['mcp-protocol-version']).toBe('2026-07-28');
    expect(probe?.headers['mcp-session-id']).toBeUndefined();
    expect(ctx.era).toMatchObject({ era: 'legacy' });
    expect(init?.rpcMethod).toBe('initialize');
    expect(init?.headers['mcp-session-id']).toBeUndefined();
    expect(after.length).toBeGreaterThanOrEqual(7);
    for (const r of after) {
      // MUST per 2025-11-25: both headers on every request after initialization, POST, GET and DELETE alike.
      expect(r.headers['mcp-session-id'], `${r.httpMethod} ${r.rpcMethod ?? ''}`).toBe(ctx.session?.sessionId);
      expect(r.headers['mcp-protocol-version'], `${r.httpMethod} ${r.rpcMethod ?? ''}`).toBe('2025-11-25');
    }
    expect(after.map((r) => r.httpMethod)).toEqual(expect.arrayContaining(['POST', 'GET', 'DELETE']));
    expect(after[0]?.rpcMethod).toBe('notifications/initialized');
    expect(server.control.stats().sessions).toBe(0); // DELETE ended it on the server
  });

  it('treats 405 on GET as "no stream": ready, no retries', async () => {
    server = await startFaultServer({ getStream: false });
    const { log } = captureLogger();
    session = startBackendSession({ backendId: 'fixture', url: server.url, log, rng: seededRng(1) });
    await waitForStream(session.actor, 'unsupported');
    // `unsupported` runs no stream and has no timer to leave by (the chart's unit test advances its clock ten minutes
    // there): the one GET is all there will be.
    expect(Object.keys(session.actor.getSnapshot().children)).not.toContain('notificationStream');
    expect(server.control.count({ httpMethod: 'GET' })).toBe(1);
    expect(session.actor.getSnapshot().context.consecutiveFailures).toBe(0);
    expect(streamPhase(session.actor.getSnapshot())).toBe('unsupported');
  });
});
