// The gateway in front of a backend that speaks only MCP 2026-07-28 (the v2 SDK's createMcpHandler with legacy
// requests rejected) and a 2025-era backend, with a real v1-SDK client: the client's 2025 session reaches both, the
// modern backend sees only stateless requests with the envelope, and a tool added there reaches the client through
// subscriptions/listen and list_changed.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type ModernServer, startModernServer } from '../../fixtures/mcp/modern-server.ts';
import { until } from '../../support/eventually.ts';
import { untilBackendsReady } from '../../support/gateway-ready.ts';

const quiet = pino({ level: 'silent' });

describe('gateway over a 2026-07-28-only backend', () => {
  let modern: ModernServer;
  let legacy: DemoBackend;
  let gateway: RunningGateway;
  const clients: Client[] = [];

  const connect = async () => {
    const client = new Client({ name: 'v1-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    modern = await startModernServer();
    legacy = await startDemoBackend({ label: 'legacy' });
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'modern', url: modern.url },
          { name: 'legacy', url: legacy.url.href },
        ],
      }),
      logger: quiet,
    });
    await untilBackendsReady(gateway);
  });

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.allSettled([modern?.close(), legacy?.close()]);
  });

  it('lists and calls the modern backend tools next to the 2025-era ones, statelessly', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['modern_add', 'modern_echo', 'legacy_echo']));
    const sum = await client.callTool({ name: 'modern_add', arguments: { a: 40, b: 2 } });
    expect(sum).toMatchObject({ content: [{ type: 'text', text: '42' }] });
    expect(sum.isError).toBeFalsy();
    const echoed = await client.callTool({ name: 'modern_echo', arguments: { text: 'through the gateway' } });
    expect(echoed).toMatchObject({ content: [{ type: 'text', text: 'through the gateway' }] });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('modern_greeting');

    const calls = modern.control.requests.filter((r) => r.rpcMethod === 'tools/call');
    expect(calls.map((r) => r.headers['mcp-name'])).toEqual(['add', 'echo']);
    expect(modern.control.count({ rpcMethod: 'initialize' })).toBe(0);
    expect(modern.control.requests.every((r) => r.httpMethod === 'POST')).toBe(true);
    expect(modern.control.requests.every((r) => r.headers['mcp-session-id'] === undefined)).toBe(true);
    expect(
      modern.control.requests.every(
        (r) => r.meta?.['io.modelcontextprotocol/protocolVersion'] === '2026-07-28' && r.status !== 400,
      ),
    ).toBe(true);
  });

  it('mirrors x-mcp-header arguments into Mcp-Param-* headers, which the v2 SDK backend checks', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const locate = tools.find((t) => t.name === 'modern_locate');
    expect(locate?.inputSchema.properties?.region).toMatchObject({ 'x-mcp-header': 'Region' });
    for (const region of ['us-west1', 'Zürich ']) {
      const answer = await client.callTool({ name: 'modern_locate', arguments: { region } });
      expect(answer).toMatchObject({ content: [{ type: 'text', text: `in ${region}` }] });
      expect(answer.isError).toBeFalsy();
    }
    const calls = modern.control.requests.filter((r) => r.headers['mcp-name'] === 'locate');
    expect(calls.map((r) => [r.status, r.headers['mcp-param-region']])).toEqual([
      [200, 'us-west1'],
      [200, `=?base64?${Buffer.from('Zürich ').toString('base64')}?=`],
    ]);
  });

  it('tells the client when the modern backend adds a tool (subscriptions/listen -> list_changed)', async () => {
    const client = await connect();
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    await client.listTools();
    await until('the gateway listening', () => modern.control.listeners() === 1);
    modern.control.addTool('fresh');
    await until('list_changed at the client', () => changed > 0);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('modern_fresh');
  });
});
