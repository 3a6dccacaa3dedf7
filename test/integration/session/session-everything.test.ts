// Against the reference server, @modelcontextprotocol/server-everything, over Streamable HTTP and the legacy SSE
// transport: a real third-party peer, not our fixture.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBackendSession } from '../../../src/machines/backend-session-requests.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../../../src/runtime/start-backend-session.ts';
import { type EverythingServer, startEverythingServer } from '../../fixtures/mcp/everything-server.ts';
import { captureLogger, waitForPhase, waitForStream } from './helpers.ts';

for (const mode of ['streamableHttp', 'sse'] as const) {
  describe(`server-everything over ${mode}`, () => {
    let everything: EverythingServer;
    let session: RunningBackendSession;
    beforeAll(async () => {
      everything = await startEverythingServer(mode);
      const { log } = captureLogger();
      session = startBackendSession({
        backendId: `everything-${mode}`,
        url: everything.url,
        transport: mode === 'sse' ? 'sse' : 'streamable-http',
        log,
        rng: seededRng(2),
      });
      await waitForPhase(session.actor, 'ready', 20_000);
    }, 60_000);
    afterAll(async () => {
      await session?.stop();
      await everything?.close();
    });

    it('initializes, discovers tools, resources, templates and prompts, and holds the notification stream', async () => {
      await waitForStream(session.actor, 'open');
      const ctx = session.actor.getSnapshot().context;
      expect(ctx.session?.protocolVersion).toBe('2025-11-25');
      expect(ctx.session?.serverInfo.name).toMatch(/everything/i);
      const tools = ctx.lists.tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['echo', 'get-sum']));
      expect(ctx.lists.resources.length).toBeGreaterThan(0);
      expect(ctx.lists.resourceTemplates.length).toBeGreaterThan(0);
      expect(ctx.lists.prompts.length).toBeGreaterThan(0);
      // Both transports grant the notification stream: a GET, or the legacy SSE connection itself.
      expect(ctx.stream.granted).toBe(true);
    });

    it('calls tools and reads resources through the live connection', async () => {
      const echo = await withBackendSession(session.actor, (c) =>
        c.request('tools/call', { name: 'echo', arguments: { message: 'hi from mcpre' } }),
      );
      expect(JSON.stringify(echo.result.content)).toContain('hi from mcpre');
      const sum = await withBackendSession(session.actor, (c) =>
        c.request('tools/call', { name: 'get-sum', arguments: { a: 20, b: 22 } }),
      );
      expect(JSON.stringify(sum.result.content)).toContain('42');
      const uri = session.actor.getSnapshot().context.lists.resources[0]?.uri as string;
      const read = await withBackendSession(session.actor, (c) => c.request('resources/read', { uri }));
      expect(read.result.contents).toBeInstanceOf(Array);
    });
  });
}
