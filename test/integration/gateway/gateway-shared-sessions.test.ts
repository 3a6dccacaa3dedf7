// Two gateways sharing one session store, as replicas would: a 2025-era session opened at one is served by the other
// from its record alone. A call's stream broken at A resumes at B with what A sent after the break; a client's answer
// to a relayed elicitation and its cancellation reach the call wherever they are posted; a list change seen by A
// reaches a GET stream held by B, and the same change seen by B is not announced again. (One process here, so the bus
// is the in-memory one; session-store/gateway-redis-relay.test.ts runs the same flows on Redis stores.)
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { EventBudget } from '../../../src/gateway/event-store.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { MemorySessionStore } from '../../../src/gateway/sessions/memory-store.ts';
import { until } from '../../support/eventually.ts';
import { send } from '../../support/mcp-http.ts';
import { openSession, sharedSessionFlows } from '../../support/shared-session-flows.ts';
import { eventReader } from '../../support/sse.ts';
import { type ConformanceBackend, startConformanceBackend } from './conformance-backend.ts';

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
    // The list-change test toggles each aggregate from what it holds: it must already list the demo backend's tools
    // (readiness comes with the session, the aggregate a coalescing moment later, and a toggle inside that window
    // changes nothing).
    await until('both aggregates to list the demo tools', () =>
      [a, b].every((g) => {
        g.aggregator.flush();
        return g.aggregator.view.tools.some((t) => t.name.startsWith('demo_'));
      }),
    );
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await demo?.close();
    await conformance?.close();
  });

  sharedSessionFlows(() => ({ a, b }));

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
