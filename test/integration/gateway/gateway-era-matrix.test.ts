// Every client/backend era combination through the gateway, with real SDK peers of both generations on loopback:
// a 2025 client (v1 `@modelcontextprotocol/sdk`) and a 2026-07-28 client (v2 `@modelcontextprotocol/client`, pinned),
// each against a 2026-07-28-only server (v2 SDK, legacy rejected), a dual-era server (v2 SDK, both eras) and a v1-SDK
// server that asks on its GET stream. For each pair: list, call, list_changed, and sampling and elicitation relayed
// whichever way they travel: a 2026 backend's input_required result passed to a 2026 client or asked of a 2025
// client as server requests; a 2025 backend's server request asked of a 2026 client as an input_required result.

import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type DualEraServer, startDualEraServer } from '../../fixtures/mcp/dual-era-server.ts';
import {
  type GetStreamRequestsServer,
  startGetStreamRequestsServer,
} from '../../fixtures/mcp/get-stream-requests-server.ts';
import { type ModernServer, startModernServer } from '../../fixtures/mcp/modern-server.ts';
import { until } from '../../support/eventually.ts';
import { untilBackendsReady } from '../../support/gateway-ready.ts';
import { modernEnvelope } from '../../support/modern-envelope.ts';

const quiet = pino({ level: 'silent' });
const V = '2026-07-28';

type Msg = { role: string; content: { type: string; text?: string } };
/** What the test's "model" answers: derived from the question, so a relayed answer cannot be mistaken for another. */
const sample = (params: { messages: Msg[] }) => ({
  role: 'assistant' as const,
  content: { type: 'text' as const, text: `model read "${params.messages[0]?.content.text}"` },
  model: 'test-model',
});
/** What the test's "user" answers: the fields the form asked for. */
const elicit = (params: { requestedSchema?: { properties?: Record<string, unknown> } }) => {
  const fields = Object.keys(params.requestedSchema?.properties ?? {});
  const content: Record<string, string | boolean> = {};
  for (const field of fields) content[field] = field === 'ok' ? true : 'Ada';
  return { action: 'accept' as const, content };
};

/** What both client generations offer the test. */
interface AnyClient {
  listToolNames(): Promise<string[]>;
  call(name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  /** Count tool list changes from now on. */
  watchTools(): Promise<() => number>;
  close(): Promise<void>;
}

const textOf = (result: object) => ({
  text: (((result as { content?: unknown }).content as Array<{ text?: string }> | undefined) ?? [])
    .map((c) => c.text ?? '')
    .join(''),
  isError: (result as { isError?: unknown }).isError === true,
});

async function connectV1(url: string): Promise<AnyClient> {
  const client = new Client(
    { name: 'v1-client', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} } } },
  );
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => sample(req.params as never));
  client.setRequestHandler(ElicitRequestSchema, async (req) => elicit(req.params as never));
  let changes = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
    changes++;
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    listToolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    call: async (name, args) => textOf(await client.callTool({ name, arguments: args })),
    watchTools: async () => {
      const from = changes;
      return () => changes - from;
    },
    close: () => client.close(),
  };
}

async function connectV2(url: string): Promise<AnyClient> {
  const client = new ModernClient(
    { name: 'v2-client', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} } }, versionNegotiation: { mode: { pin: V } } },
  );
  client.setRequestHandler('sampling/createMessage', async (req) => sample(req.params as never));
  client.setRequestHandler('elicitation/create', async (req) => elicit(req.params as never));
  let changes = 0;
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    changes++;
  });
  await client.connect(new ModernTransport(new URL(url)));
  expect(client.getNegotiatedProtocolVersion()).toBe(V);
  const subscriptions: Array<{ close(): Promise<void> | void }> = [];
  return {
    listToolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    call: async (name, args) => textOf(await client.callTool({ name, arguments: args })),
    watchTools: async () => {
      const subscription = await client.listen({ toolsListChanged: true });
      subscriptions.push(subscription);
      const from = changes;
      return () => changes - from;
    },
    close: async () => {
      await Promise.allSettled(subscriptions.map((s) => s.close()));
      await client.close();
    },
  };
}

describe('client and backend eras through the gateway', () => {
  let modern: ModernServer;
  let dual: DualEraServer;
  let v1: GetStreamRequestsServer;
  let gateway: RunningGateway;
  const clients: AnyClient[] = [];
  let added = 0;

  beforeAll(async () => {
    [modern, dual, v1] = await Promise.all([startModernServer(), startDualEraServer(), startGetStreamRequestsServer()]);
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'modern', url: modern.url },
          { name: 'dual', url: dual.url },
          { name: 'v1', url: v1.url },
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
    await Promise.allSettled([modern?.close(), dual?.close(), v1?.close()]);
  });

  /** A v2-SDK backend with the shared asking tools (test/fixtures/mcp/asking-tools.ts), under its gateway prefix. */
  const askingBackend = (prefix: string, addTool: (name: string) => void) => ({
    addTool,
    echo: { tool: `${prefix}_echo`, args: { text: 'hello' }, expected: 'hello' },
    sampling: {
      tool: `${prefix}_summarize`,
      args: { topic: 'mcp' },
      expected: 'summary of mcp: model read "Summarize mcp"',
    },
    elicitation: {
      tool: `${prefix}_confirm`,
      args: { action: 'deploy' },
      expected: 'deploy: accept {"ok":true} state=confirm:deploy',
    },
  });

  const backends = {
    /** 2026-07-28 only: asks through input_required. */
    modern: askingBackend('modern', (name) => modern.control.addTool(name)),
    /** Both eras; the gateway speaks 2026-07-28 with it. */
    dual: askingBackend('dual', (name) => dual.addTool(name)),
    /** 2025 only, v1 SDK: asks with server requests on its GET stream. */
    v1: {
      addTool: (name: string) => v1.addTool(name),
      echo: undefined,
      sampling: { tool: 'v1_sample', args: { prompt: 'hi' }, expected: 'sampled: model read "hi"' },
      elicitation: { tool: 'v1_elicit', args: { question: 'who?' }, expected: 'elicited: accept {"name":"Ada"}' },
    },
  } as const;

  it('speaks 2026-07-28 with the dual-era backend (it serves its 2025 sessions too)', async () => {
    expect(dual.served.filter((s) => s.era === 'modern').map((s) => s.method)).toContain('server/discover');
    expect(dual.served.some((s) => s.era === 'legacy')).toBe(false);
    const direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(dual.url)));
    clients.push({ close: () => direct.close() } as AnyClient);
    expect(direct.getServerVersion()?.name).toBe('dual-era-fixture');
    expect(dual.served.some((s) => s.era === 'legacy' && s.method === 'initialize')).toBe(true);
  });

  it("asks a 2026 client a 2025 backend's question once per requestState, bound to the request", async () => {
    const headers = (name: string) => ({
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': 'tools/call',
      'mcp-name': name,
    });
    const call = (id: number, name: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      fetch(gateway.url, {
        method: 'POST',
        headers: headers(name),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: {
            name,
            arguments: args,
            ...extra,
            _meta: modernEnvelope({ sampling: {} }, V),
          },
        }),
      }).then(async (res) => (await res.json()) as { result?: Record<string, unknown>; error?: { code: number } });
    const first = await call(1, 'v1_sample', { prompt: 'raw' });
    expect(first.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: { q1: { method: 'sampling/createMessage' } },
      requestState: expect.stringMatching(/^mcpre-suspended:/),
    });
    const requestState = first.result?.requestState as string;
    const inputResponses = { q1: sample({ messages: [{ role: 'user', content: { type: 'text', text: 'raw' } }] }) };
    // The state names a call to v1_sample; on another tool it is refused, and the parked call stays for its own.
    const elsewhere = await call(2, 'v1_elicit', { question: 'x' }, { inputResponses, requestState });
    expect(elsewhere.error?.code).toBe(-32602);
    const done = await call(3, 'v1_sample', { prompt: 'raw' }, { inputResponses, requestState });
    expect(done.result).toMatchObject({ resultType: 'complete', content: [{ text: 'sampled: model read "raw"' }] });
    const again = await call(4, 'v1_sample', { prompt: 'raw' }, { inputResponses, requestState });
    expect(again.error?.code).toBe(-32602);
  });

  describe.each([
    ['a 2025 client (v1 SDK)', connectV1],
    ['a 2026-07-28 client (v2 SDK)', connectV2],
  ])('%s', (_label, connect) => {
    const open = async () => {
      const client = await connect(gateway.url.toString());
      clients.push(client);
      return client;
    };

    it('lists the tools of all three backends', async () => {
      const client = await open();
      const names = await client.listToolNames();
      expect(names).toEqual(
        expect.arrayContaining([
          'modern_echo',
          'modern_confirm',
          'modern_summarize',
          'dual_echo',
          'dual_confirm',
          'dual_summarize',
          'v1_sample',
          'v1_elicit',
        ]),
      );
    });

    it.each(Object.keys(backends) as Array<keyof typeof backends>)(
      'with the %s backend: call, sampling and elicitation relayed',
      async (name) => {
        const client = await open();
        const backend = backends[name];
        for (const kind of ['echo', 'sampling', 'elicitation'] as const) {
          const c = backend[kind];
          if (!c) continue;
          await expect(client.call(c.tool, c.args), `${kind} on ${name}`).resolves.toEqual({
            text: c.expected,
            isError: false,
          });
        }
      },
    );

    it.each(Object.keys(backends) as Array<keyof typeof backends>)(
      'with the %s backend: list_changed',
      async (name) => {
        const client = await open();
        const changes = await client.watchTools();
        const tool = `fresh${++added}`;
        backends[name].addTool(tool);
        await until(`tools/list_changed after ${name} added ${tool}`, () => changes() > 0);
        expect(await client.listToolNames()).toContain(`${name}_${tool}`);
      },
    );
  });
});
