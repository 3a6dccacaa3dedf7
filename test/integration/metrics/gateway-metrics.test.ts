// The gateway's /metrics after a short run in front of the fault-injecting fixture: calls by backend and outcome
// with latency, backend sessions by state (actors and the gateway's own gauge), and one re-initialization after the
// backend dropped its sessions. The circuit-opening counter is checked on a real session actor against a closed
// port with a short policy (the gateway's own policy would take 15 s of backoff to open it).
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { ActorMetrics } from '../../../src/runtime/metrics/actor-metrics.ts';
import { startBackendSession } from '../../../src/runtime/start-backend-session.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { eventually } from '../deploy/scenario.ts';
import { parseMetrics, scrape, value } from './scrape.ts';

let fixture: FaultServer;
let gateway: RunningGateway;
let client: Client;

beforeAll(async () => {
  fixture = await startFaultServer();
  gateway = await startGateway({
    config: validateGatewayConfig({ backends: [{ name: 'fx', url: fixture.url }] }),
    logger: pino({ level: 'silent' }),
  });
  await eventually('gateway ready', async () => (gateway.readiness().ready ? true : undefined));
  client = new Client({ name: 'metrics', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(gateway.url));
});
afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await fixture?.close();
});

describe('gateway metrics', () => {
  it('calls by backend and outcome with latency, sessions by state, re-initializations', async () => {
    for (let i = 0; i < 5; i++) await client.callTool({ name: 'fx_echo', arguments: { text: `hi ${i}` } });
    // One call the backend answers with a 500: an error outcome for this backend.
    fixture.control.failNext(1, 500, { rpcMethod: 'tools/call' });
    await client.callTool({ name: 'fx_echo', arguments: { text: 'fails' } }).catch(() => undefined);
    expect(fixture.control.dropSessions()).toBeGreaterThan(0);
    // The next call meets a 404, waits for the one re-initialization, and is retried.
    await client.callTool({ name: 'fx_echo', arguments: { text: 'after the drop' } });
    const samples = await eventually('session ready again', async () => {
      const s = await scrape(gateway.url);
      return value(s, 'mcpre_actors', { machine: 'backendSession', state: 'ready' }) === 1 ? s : undefined;
    });

    const call = { backend: 'fx', method: 'tools/call' };
    expect(value(samples, 'mcpre_gateway_backend_calls_total', { ...call, outcome: 'ok' })).toBe(6);
    expect(value(samples, 'mcpre_gateway_backend_calls_total', { ...call, outcome: 'error' })).toBe(1);
    const count = value(samples, 'mcpre_gateway_backend_call_duration_seconds_count', call) ?? 0;
    const sum = value(samples, 'mcpre_gateway_backend_call_duration_seconds_sum', call) ?? 0;
    expect(count).toBe(7);
    expect(sum).toBeGreaterThan(0);
    expect(sum / count, 'mean seconds per call on loopback').toBeLessThan(2);
    expect(value(samples, 'mcpre_backend_session_reinitializations_total', { backend: 'fx' })).toBe(1);
    expect(value(samples, 'mcpre_backend_session_circuit_openings_total', { backend: 'fx' })).toBe(0);
    expect(value(samples, 'mcpre_gateway_backends', { state: 'ready' })).toBe(1);
    expect(value(samples, 'mcpre_actors', { machine: 'backendSession', state: 'reinitializing' }) ?? 0).toBe(0);
  });

  it('counts a circuit opening when a backend keeps failing (real session actor, closed port)', async () => {
    // A port that refuses connections: bind, note it, close.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const registry = new Registry();
    const metrics = new ActorMetrics(registry);
    const session = startBackendSession({
      backendId: 'dead',
      url: `http://127.0.0.1:${port}/mcp`,
      log: pino({ level: 'silent' }),
      policy: { initialBackoffMs: 20, maxBackoffMs: 40, breakerThreshold: 3, probeIntervalMs: 60_000 },
      inspect: metrics.inspect,
    });
    try {
      const samples = await eventually('circuit open', async () => {
        const s = parseMetrics(await registry.metrics());
        return value(s, 'mcpre_backend_session_circuit_openings_total', { backend: 'dead' }) === 1 ? s : undefined;
      });
      expect(value(samples, 'mcpre_actors', { machine: 'backendSession', state: 'unavailable' })).toBe(1);
      expect(value(samples, 'mcpre_backend_session_reinitializations_total', { backend: 'dead' })).toBe(0);
    } finally {
      await session.stop();
    }
    // A stopped actor leaves the gauge.
    const after = parseMetrics(await registry.metrics());
    expect(after.filter((s) => s.name === 'mcpre_actors' && s.value !== 0)).toEqual([]);
  });
});
