// Server-to-client requests sent on the backend's GET stream (a v1-SDK server calling createMessage, elicitInput and
// listRoots without a related request id), through the gateway to real SDK clients: with one client calling, the
// request reaches that client and its answer reaches the tool's result; with two clients calling at once, nobody can
// tell whose it is, so it is refused, logged and counted; a client that did not declare sampling is never asked.
// The audit lines say what happened to each.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import type { AuditRecord } from '../../../src/gateway/audit.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import {
  type GetStreamRequestsServer,
  startGetStreamRequestsServer,
} from '../../fixtures/mcp/get-stream-requests-server.ts';
import { until } from '../../support/eventually.ts';

let backend: GetStreamRequestsServer;
let gateway: RunningGateway;
const audits: AuditRecord[] = [];
const logLines: Array<Record<string, unknown>> = [];
const clients: Client[] = [];

async function connect(name: string, capabilities: ClientCapabilities): Promise<Client> {
  const client = new Client({ name, version: '1' }, { capabilities });
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      const asked = req.params.messages[0]?.content;
      const prompt = asked && 'text' in asked ? asked.text : '';
      return { role: 'assistant', model: 'test-model', content: { type: 'text', text: `${name} says ${prompt}` } };
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada' } }));
  }
  if (capabilities.roots) {
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
  }
  await client.connect(new StreamableHTTPClientTransport(gateway.url));
  clients.push(client);
  return client;
}

const textOf = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]?.text;

async function counted(labels: Record<string, string>): Promise<number> {
  const metric = await gateway.metrics.registry.getSingleMetric('mcpre_gateway_server_requests_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

const callAudits = (tool: string) => audits.filter((a) => a.method === 'tools/call' && a.target === `gs_${tool}`);

beforeAll(async () => {
  backend = await startGetStreamRequestsServer();
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  gateway = await startGateway({
    config: validateGatewayConfig({ backends: [{ name: 'gs', url: backend.url }] }),
    logger,
    onAudit: (record) => audits.push(record),
  });
  await until(
    'the backend ready with its GET stream open',
    () => gateway.backends().every((b) => b.state === 'ready') && backend.getStreams() === 1,
  );
}, 30_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  await gateway?.close();
  await backend?.close();
});

describe('client capabilities declared to backends', () => {
  it('by default sampling and elicitation (what the gateway relays), not roots', () => {
    expect(backend.declared).toEqual([{ sampling: {}, elicitation: { form: {}, url: {} } }]);
  });

  it('as the config says: a capability turned off is never declared', async () => {
    const other = await startGetStreamRequestsServer();
    const configured = await startGateway({
      config: validateGatewayConfig({
        backends: [{ name: 'gs', url: other.url }],
        clientCapabilities: { sampling: false, roots: true },
      }),
      logger: pino({ level: 'silent' }),
    });
    try {
      await until('the backend ready', () => configured.backends().every((b) => b.state === 'ready'));
      expect(other.declared).toEqual([{ elicitation: { form: {}, url: {} }, roots: {} }]);
    } finally {
      await configured.close();
      await other.close();
    }
  });
});

describe('server requests on the GET stream', () => {
  it('with one client calling, sampling, elicitation and roots reach that client and its answers the tool', async () => {
    const client = await connect('alice', { sampling: {}, elicitation: {}, roots: {} });
    expect(textOf(await client.callTool({ name: 'gs_sample', arguments: { prompt: 'two plus two' } }))).toBe(
      'sampled: alice says two plus two',
    );
    expect(textOf(await client.callTool({ name: 'gs_elicit', arguments: { question: 'your name?' } }))).toBe(
      'elicited: accept {"name":"Ada"}',
    );
    expect(textOf(await client.callTool({ name: 'gs_roots', arguments: {} }))).toBe('roots: file:///work');

    for (const [tool, method] of [
      ['sample', 'sampling/createMessage'],
      ['elicit', 'elicitation/create'],
      ['roots', 'roots/list'],
    ] as const) {
      expect(callAudits(tool).map((a) => [a.outcome, a.serverRequests])).toEqual([
        ['ok', [{ method, via: 'stream', outcome: 'relayed' }]],
      ]);
    }
    expect(await counted({ method: 'sampling/createMessage', via: 'stream', outcome: 'relayed' })).toBe(1);
    expect(logLines.filter((l) => String(l.msg).startsWith('server request refused'))).toEqual([]);
  });

  it('with two clients calling at once the request is refused, logged, counted and audited', async () => {
    const [bob, carol] = await Promise.all([connect('bob', { sampling: {} }), connect('carol', { sampling: {} })]);
    const results = await Promise.all(
      [bob, carol].map((c) => c.callTool({ name: 'gs_sample_together', arguments: { prompt: 'hi', n: 2 } })),
    );
    for (const result of results) {
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        'sampling/createMessage failed: MCP error -32600: mcpre refused sampling/createMessage from backend "gs": ' +
          'calls from 2 clients to backend "gs" are in flight, so its client is ambiguous',
      );
    }
    expect(backend.asked.filter((a) => a.outcome !== 'ok')).toHaveLength(2);
    expect(await counted({ via: 'stream', outcome: 'refused', reason: 'ambiguous' })).toBe(2);
    const warnings = logLines.filter((l) => String(l.msg).startsWith('server request refused'));
    expect(warnings.map((l) => [l.level, l.backend, l.method, l.reason])).toEqual([
      [40, 'gs', 'sampling/createMessage', 'ambiguous'],
      [40, 'gs', 'sampling/createMessage', 'ambiguous'],
    ]);
    // Each call's audit line shows both refusals: either could have been its own.
    const lines = callAudits('sample_together');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.serverRequests?.map((n) => [n.method, n.via, n.outcome])).toEqual([
        ['sampling/createMessage', 'stream', 'refused'],
        ['sampling/createMessage', 'stream', 'refused'],
      ]);
    }
  });

  it('a client that did not declare sampling is not asked: the request is refused as it would refuse it', async () => {
    const dave = await connect('dave', {});
    const result = await dave.callTool({ name: 'gs_sample', arguments: { prompt: 'hi' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'sampling/createMessage failed: MCP error -32601: mcpre refused sampling/createMessage from backend "gs": ' +
        'the client (anonymous) did not declare the sampling capability',
    );
    expect(await counted({ outcome: 'refused', reason: 'not-declared' })).toBe(1);
    expect(callAudits('sample').at(-1)?.serverRequests).toEqual([
      {
        method: 'sampling/createMessage',
        via: 'stream',
        outcome: 'refused',
        reason: 'the client (anonymous) did not declare the sampling capability',
      },
    ]);
  });
});
