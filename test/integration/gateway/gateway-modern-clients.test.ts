// 2026-07-28 clients at the gateway: a real v2-SDK client (`@modelcontextprotocol/client`, pinned to 2026-07-28)
// through the gateway to a 2025-era backend (the demo server) and a 2026-07-28-only backend (the v2-SDK fixture):
// discover, list, call, list changes on subscriptions/listen; no session id ever; a v1-SDK 2025 client served at the
// same time from the same aggregate; and what the spec says a malformed or wrong-revision request gets.

import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { type ModernServer, startModernServer } from '../../fixtures/mcp/modern-server.ts';
import { until } from '../../support/eventually.ts';
import { untilBackendsReady } from '../../support/gateway-ready.ts';
import { modernEnvelope } from '../../support/modern-envelope.ts';

const quiet = pino({ level: 'silent' });
const V = '2026-07-28';

const envelope = (version = V) => modernEnvelope({}, version);

describe('2026-07-28 clients at the gateway', () => {
  let modern: ModernServer;
  let legacy: DemoBackend;
  let v1: FaultServer;
  let gateway: RunningGateway;
  const closers: Array<() => Promise<unknown>> = [];
  /** Every response header the v2 client saw, to show no session id was ever minted for it. */
  const seenSessionIds: string[] = [];

  const connectModern = async () => {
    const client = new ModernClient(
      { name: 'v2-client', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: V } } },
    );
    const transport = new ModernTransport(gateway.url, {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        const id = res.headers.get('mcp-session-id');
        if (id) seenSessionIds.push(id);
        return res;
      },
    });
    await client.connect(transport);
    closers.push(() => client.close());
    return client;
  };

  const post = (body: unknown, headers: Record<string, string>) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    modern = await startModernServer();
    legacy = await startDemoBackend({ label: 'legacy' });
    v1 = await startFaultServer();
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'modern', url: modern.url },
          { name: 'legacy', url: legacy.url.href },
          { name: 'v1', url: v1.url },
        ],
      }),
      logger: quiet,
    });
    await untilBackendsReady(gateway);
  });

  afterEach(async () => {
    await Promise.allSettled(closers.splice(0).map((close) => close()));
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.allSettled([modern?.close(), legacy?.close(), v1?.close()]);
  });

  it('discovers the gateway and speaks 2026-07-28 with it, without a session', async () => {
    const client = await connectModern();
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe(V);
    const discovered = await client.discover();
    expect(discovered.supportedVersions).toEqual([V]);
    expect(discovered.capabilities.tools).toEqual({ listChanged: true });
    expect(discovered._meta?.['io.modelcontextprotocol/serverInfo']).toMatchObject({ name: 'mcpre-gateway' });
    expect(seenSessionIds).toEqual([]);
  });

  it('lists both backends and calls a 2025-era backend and a 2026-only backend', async () => {
    const client = await connectModern();
    const listed = await client.listTools();
    const names = listed.tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['modern_add', 'modern_echo', 'legacy_echo']));
    expect(listed).toMatchObject({ ttlMs: 0, cacheScope: 'public' });

    const echoed = await client.callTool({ name: 'legacy_echo', arguments: { message: 'from 2026 to 2025' } });
    expect(echoed.content).toEqual([{ type: 'text', text: expect.stringContaining('from 2026 to 2025') }]);
    const sum = await client.callTool({ name: 'modern_add', arguments: { a: 40, b: 2 } });
    expect(sum.content).toEqual([{ type: 'text', text: '42' }]);
    expect(sum.isError).toBeFalsy();

    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('modern_greeting');
    const read = await client.readResource({ uri: 'modern://readme' });
    expect(read.contents).toEqual([{ uri: 'modern://readme', text: 'modern readme' }]);
    expect(seenSessionIds).toEqual([]);
  });

  it('serves a 2025-era client from the same aggregate at the same time', async () => {
    const v2 = await connectModern();
    const v1 = new Client({ name: 'v1-client', version: '1.0.0' });
    await v1.connect(new StreamableHTTPClientTransport(gateway.url));
    closers.push(() => v1.close());
    const [a, b] = await Promise.all([v1.listTools(), v2.listTools()]);
    expect(b.tools.map((t) => t.name)).toEqual(a.tools.map((t) => t.name));
    const result = await v1.callTool({ name: 'modern_echo', arguments: { text: 'v1 over a 2026 backend' } });
    expect(result).toMatchObject({ content: [{ type: 'text', text: 'v1 over a 2026 backend' }] });
  });

  it('tells a listening 2026 client when the 2026-only backend adds a tool', async () => {
    const client = await connectModern();
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    const subscription = await client.listen({ toolsListChanged: true, promptsListChanged: true });
    closers.push(() => subscription.close());
    expect(subscription.honoredFilter).toEqual({ toolsListChanged: true, promptsListChanged: true });
    modern.control.addTool('fresh');
    await until('list_changed on the listen stream', () => changed > 0);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('modern_fresh');
  });

  it('answers a revision it does not speak with UnsupportedProtocolVersion and the supported list', async () => {
    const res = await post(
      { jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: envelope('2099-01-01') } },
      { 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: {
        code: -32022,
        message: expect.stringContaining('2099-01-01'),
        data: { supported: [V], requested: '2099-01-01' },
      },
    });
  });

  it('refuses headers that do not mirror the body with HeaderMismatch', async () => {
    const call = { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'legacy_echo', arguments: {} } };
    const withMeta = { ...call, params: { ...call.params, _meta: envelope() } };
    const wrongName = await post(withMeta, {
      'mcp-protocol-version': V,
      'mcp-method': 'tools/call',
      'mcp-name': 'modern_add',
    });
    expect(wrongName.status).toBe(400);
    expect(((await wrongName.json()) as { error: { code: number } }).error.code).toBe(-32020);
    const noMethod = await post(withMeta, { 'mcp-protocol-version': V, 'mcp-name': 'legacy_echo' });
    expect(noMethod.status).toBe(400);
    expect(((await noMethod.json()) as { error: { code: number } }).error.code).toBe(-32020);
    const base64Name = await post(
      { ...withMeta, params: { ...withMeta.params, arguments: { message: 'b64' } } },
      {
        'mcp-protocol-version': V,
        'mcp-method': 'tools/call',
        'mcp-name': `=?base64?${Buffer.from('legacy_echo').toString('base64')}?=`,
      },
    );
    expect(base64Name.status).toBe(200);
    expect(await base64Name.json()).toMatchObject({
      id: 8,
      result: { resultType: 'complete', content: [{ type: 'text', text: expect.stringContaining('b64') }] },
    });
  });

  it('answers methods 2026-07-28 removed with 404 Method not found', async () => {
    const res = await post(
      { jsonrpc: '2.0', id: 9, method: 'ping', params: { _meta: envelope() } },
      { 'mcp-protocol-version': V, 'mcp-method': 'ping' },
    );
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32601);
  });

  it('tells a listening 2026 client when a 2025-era backend changes its tools', async () => {
    const client = await connectModern();
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    const subscription = await client.listen({ toolsListChanged: true });
    closers.push(() => subscription.close());
    await v1.control.setTools(['echo', 'fresh25']);
    await until('list_changed after the 2025 backend changed its tools', () => changed > 0);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('v1_fresh25');
  });
});

describe('a 2026 listen stream when the gateway shuts down', () => {
  it('ends with the final listen result (graceful closure), not a dropped connection', async () => {
    const legacy = await startDemoBackend({ label: 'legacy' });
    const gateway = await startGateway({
      config: validateGatewayConfig({ backends: [{ name: 'legacy', url: legacy.url.href }] }),
      logger: quiet,
    });
    try {
      await until('backend ready', () => gateway.readiness().ready);
      const client = new ModernClient(
        { name: 'v2-client', version: '1.0.0' },
        { versionNegotiation: { mode: { pin: V } } },
      );
      await client.connect(new ModernTransport(gateway.url));
      const subscription = await client.listen({ toolsListChanged: true });
      await gateway.close();
      expect(await subscription.closed).toBe('graceful');
      await client.close();
    } finally {
      await gateway.close();
      await legacy.close();
    }
  });
});
