// The gateway in front of two of our own SDK servers on loopback: aggregation with prefixes, routing under the
// original names, progress and logging relayed, errors naming the backend, audit lines, a backend restart that loses
// its sessions without the client noticing, and list_changed when a backend appears.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import type { AuditRecord } from '../../../src/gateway/audit.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { until } from '../../support/eventually.ts';
import { untilBackendsReady } from '../../support/gateway-ready.ts';

const quiet = pino({ level: 'silent' });

async function connect(url: URL): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

describe('gateway over two demo backends', () => {
  let alpha: DemoBackend;
  let beta: DemoBackend;
  let gateway: RunningGateway;
  const audit: AuditRecord[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    alpha = await startDemoBackend({ label: 'alpha' });
    beta = await startDemoBackend({ label: 'beta' });
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'alpha', url: alpha.url.href },
          { name: 'beta', url: beta.url.href },
        ],
        aggregation: {
          tools: [{ backend: 'beta', filter: ['echo', 'count'], overrides: { echo: { description: 'beta says' } } }],
        },
      }),
      logger: quiet,
      onAudit: (r) => audit.push(r),
    });
    await untilBackendsReady(gateway);
  });

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.allSettled([alpha?.close(), beta?.close()]);
  });

  it('lists the tools of both backends, prefixed, filtered and overridden, in a stable order', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'alpha_add',
      'alpha_count',
      'alpha_echo',
      'alpha_fail',
      'beta_count',
      'beta_echo',
    ]);
    expect(tools.find((t) => t.name === 'beta_echo')?.description).toBe('beta says');
    // The backend's JSON Schema passes through unchanged.
    expect(tools.find((t) => t.name === 'alpha_add')?.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
    });
  });

  it('routes a call to the owning backend under its original name and keeps structured content', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    const result = await client.callTool({ name: 'alpha_add', arguments: { a: 2, b: 40 } });
    expect(result.structuredContent).toEqual({ sum: 42 });
    const echoed = await client.callTool({ name: 'beta_echo', arguments: { message: 'hi' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'hi' }]);
    const last = audit.at(-1)!;
    expect(last).toMatchObject({
      method: 'tools/call',
      target: 'beta_echo',
      backend: 'beta',
      outcome: 'ok',
      client: 'anonymous',
      authMethod: 'unauthenticated',
      remoteStatus: 200,
    });
    expect(last.remoteUrl).toBe(beta.url.href);
    expect(last.durationMs).toBeGreaterThan(0);
  });

  it('relays progress with the client token and logging from the backend that sent it', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    const progress: number[] = [];
    const result = await client.request(
      { method: 'tools/call', params: { name: 'alpha_count', arguments: { n: 3 } } },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.content).toEqual([{ type: 'text', text: 'counted to 3' }]);
    expect(progress).toEqual([1, 2, 3]);
    expect(logs).toEqual(['step 1', 'step 2', 'step 3']);
  });

  it('passes a tool error result through and names the backend on protocol errors', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    const failed = await client.callTool({ name: 'alpha_fail', arguments: {} });
    expect(failed.isError).toBe(true);
    // The backend's own input validation of a tool call is a tool result, not a protocol error: it passes through.
    const invalid = await client.callTool({ name: 'alpha_count', arguments: { n: 'many' } });
    expect(invalid.isError).toBe(true);
    // A JSON-RPC error from the backend keeps its code and gains the backend's name.
    await expect(client.getPrompt({ name: 'alpha_summarize', arguments: {} })).rejects.toThrow(
      /-32602.*backend "alpha"/,
    );
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/Unknown tool: nope/);
    expect(audit.at(-1)).toMatchObject({ backend: 'alpha', outcome: 'error' });
  });

  it('cancels the backend request when the client cancels', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    const controller = new AbortController();
    const call = client.request(
      { method: 'tools/call', params: { name: 'alpha_count', arguments: { n: 100, delayMs: 50 } } },
      CallToolResultSchema,
      { signal: controller.signal, onprogress: () => controller.abort('enough') },
    );
    await expect(call).rejects.toThrow();
    await until('cancelled audit line', () =>
      audit.some((r) => r.target === 'alpha_count' && r.outcome === 'cancelled'),
    );
  });

  it('reads resources and gets prompts through the owning backend', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['demo://alpha/readme', 'demo://beta/readme']);
    const read = await client.readResource({ uri: 'demo://beta/readme' });
    expect(read.contents[0]).toMatchObject({ text: 'This is the beta demo backend of mcpre.' });
    const templated = await client.readResource({ uri: 'demo://alpha/greeting/zoe' });
    expect(templated.contents[0]).toMatchObject({ text: 'Hello, zoe!' });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['alpha_summarize', 'beta_summarize']);
    const prompt = await client.getPrompt({ name: 'beta_summarize', arguments: { text: 'x' } });
    expect(prompt.messages[0]?.content).toMatchObject({ type: 'text', text: 'Summarize this:\nx' });
    const completion = await client.complete({
      ref: { type: 'ref/resource', uri: 'demo://alpha/greeting/{name}' },
      argument: { name: 'name', value: 'a' },
    });
    expect(completion.completion.values).toEqual(['alice']);
    await expect(client.readResource({ uri: 'demo://gamma/readme' })).rejects.toThrow(/no backend serves/);
  });

  it('survives a backend that loses every session: the call is retried after re-initialization', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    await client.callTool({ name: 'alpha_echo', arguments: { message: 'before' } });
    await alpha.dropSessions();
    const after = await client.callTool({ name: 'alpha_echo', arguments: { message: 'after' } });
    expect(after.content).toEqual([{ type: 'text', text: 'after' }]);
    expect(alpha.sessionCount()).toBe(1);
    // The client's own session with the gateway is untouched.
    const again = await client.callTool({ name: 'beta_echo', arguments: { message: 'same session' } });
    expect(again.content).toEqual([{ type: 'text', text: 'same session' }]);
  });

  it('announces tools/list_changed once when a backend appears, and not when nothing changed', async () => {
    const client = await connect(gateway.url);
    clients.push(client);
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
    // Counted where the gateway decides to announce: flush() applies a pending recompute at once, so after it the
    // count is final for everything that happened before.
    let announced = 0;
    const stopCounting = gateway.aggregator.onListChanged((kinds) => {
      if (kinds.has('tools')) announced += 1;
    });
    try {
      // A backend that re-initializes with the same lists changes nothing a client sees. The call returns only after
      // the new session discovered its lists (the retried call waits for the session to be ready).
      await beta.dropSessions();
      await client.callTool({ name: 'beta_echo', arguments: { message: 'x' } });
      gateway.aggregator.flush();
      expect(announced).toBe(0);
      const removed = gateway.aggregator.remove('beta');
      await until('one list_changed', () => changes === 1);
      const { tools } = await client.listTools();
      expect(tools.some((t) => t.name.startsWith('beta_'))).toBe(false);
      gateway.aggregator.add(removed!);
      await until('a second list_changed', () => changes === 2);
      gateway.aggregator.flush();
      expect(announced).toBe(2);
      expect(changes).toBe(2);
    } finally {
      stopCounting();
    }
  });
});

describe('gateway across a real backend restart', () => {
  it('re-initializes with the restarted backend on the next call; the client session is untouched', async () => {
    const { freePort } = await import('../../../src/control-plane/free-port.ts');
    const port = await freePort();
    let backend = await startDemoBackend({ port, label: 'phoenix' });
    const gateway = await startGateway({
      config: validateGatewayConfig({ backends: [{ name: 'phoenix', url: backend.url.href }] }),
      logger: quiet,
    });
    const client = await connect(gateway.url);
    try {
      await until('ready', () => gateway.readiness().ready);
      const sessionBefore = (client.transport as StreamableHTTPClientTransport).sessionId;
      expect((await client.callTool({ name: 'phoenix_echo', arguments: { message: 'one' } })).content).toEqual([
        { type: 'text', text: 'one' },
      ]);
      await backend.close();
      backend = await startDemoBackend({ port, label: 'phoenix' });
      // The restarted server knows no session: the gateway's call gets 404, re-initializes, and retries once.
      expect((await client.callTool({ name: 'phoenix_echo', arguments: { message: 'two' } })).content).toEqual([
        { type: 'text', text: 'two' },
      ]);
      expect(backend.sessionCount()).toBe(1);
      expect((client.transport as StreamableHTTPClientTransport).sessionId).toBe(sessionBefore);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('phoenix_add');
    } finally {
      await client.close();
      await gateway.close();
      await backend.close();
    }
  });
});
