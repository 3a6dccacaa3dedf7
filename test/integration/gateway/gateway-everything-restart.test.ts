// The reference server, @modelcontextprotocol/server-everything, restarted in the middle of a client session. It
// answers a request for a session it no longer knows with HTTP 400 and JSON-RPC -32000 "Bad Request: No valid
// session ID provided" (not the spec's 404); the gateway takes that as the session lost, re-initializes once and
// retries the call, so the client sees neither an error nor a re-initialization of its own.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import type { AuditRecord } from '../../../src/gateway/audit.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type EverythingServer, startEverythingServer } from '../../fixtures/mcp/everything-server.ts';
import { until } from '../../support/eventually.ts';

async function reinitializations(gateway: RunningGateway): Promise<number> {
  const metric = await gateway.metrics.registry.getSingleMetric('mcpre_backend_session_reinitializations_total')?.get();
  return metric?.values.find((v) => v.labels.backend === 'everything')?.value ?? 0;
}

describe('server-everything restarted under a client session', () => {
  let everything: EverythingServer;
  let gateway: RunningGateway;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  const audits: AuditRecord[] = [];

  beforeAll(async () => {
    everything = await startEverythingServer('streamableHttp');
    gateway = await startGateway({
      config: validateGatewayConfig({ backends: [{ name: 'everything', url: everything.url }] }),
      logger: pino({ level: 'silent' }),
      onAudit: (record) => audits.push(record),
    });
    await until('the backend ready', () => gateway.backends().every((b) => b.state === 'ready'));
    client = new Client({ name: 'restart-test', version: '1' });
    transport = new StreamableHTTPClientTransport(gateway.url);
    await client.connect(transport);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    await everything?.close();
  });

  it('the next call after the restart re-initializes the backend session and succeeds', async () => {
    const before = await client.callTool({ name: 'everything_echo', arguments: { message: 'before' } });
    expect(before.content).toEqual([{ type: 'text', text: 'Echo: before' }]);
    const clientSession = transport.sessionId;
    const reinitsBefore = await reinitializations(gateway);

    const port = everything.port;
    await everything.close();
    everything = await startEverythingServer('streamableHttp', 30_000, port);
    // The restarted server knows no session yet: whichever request reaches it first (the call, or the gateway's GET
    // stream reconnecting) gets the 400, and the gateway initializes a new session on it.
    expect(everything.stdout()).not.toMatch(/Session initialized/);

    const after = await client.callTool({ name: 'everything_echo', arguments: { message: 'after' } });
    expect(after.content).toEqual([{ type: 'text', text: 'Echo: after' }]);
    expect(after.isError).toBeFalsy();
    expect(everything.stdout()).toMatch(/Session initialized with ID/);
    expect(await reinitializations(gateway)).toBeGreaterThan(reinitsBefore);
    // The client's own session is untouched: the restart is invisible to it.
    expect(transport.sessionId).toBe(clientSession);
    // A call's audit record is written when the backend's answer is settled, which can be just after the client has it.
    const calls = () => audits.filter((a) => a.method === 'tools/call');
    await until('both calls audited', () => calls().length >= 2);
    expect(calls().map((a) => a.outcome)).toEqual(['ok', 'ok']);
  }, 60_000);
});
