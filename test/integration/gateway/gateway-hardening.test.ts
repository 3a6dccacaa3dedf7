// The real gateway in front of the misbehaving fault fixture, over loopback: a redirect or a 404 on initialize is
// retried with backoff until the backend answers (never a final failure); tool names no MCP client should see are
// dropped, with the reason on /readyz, in one log line per list version and in a metric; errors say where they
// happened (the gateway, or which backend and step), each JSON-RPC prefix once.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { eventually } from '../../support/eventually.ts';
import { mcpHeaders } from '../../support/mcp-http.ts';

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

let fixture: FaultServer | undefined;
let gateway: RunningGateway | undefined;
let client: Client | undefined;
let raw: Server | undefined;

afterEach(async () => {
  await client?.close();
  await gateway?.close();
  await fixture?.close();
  raw?.closeAllConnections();
  await new Promise((r) => raw?.close(r) ?? r(undefined));
  client = gateway = fixture = raw = undefined;
});

/** A gateway over the fixture, with every log line it writes (debug level) kept as parsed JSON. */
async function gatewayOver(server: { url: string }) {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  gateway = await startGateway({
    config: validateGatewayConfig({ backends: [{ name: 'fx', url: server.url }] }),
    logger: pino({ level: 'debug' }, sink),
  });
  return { gateway, lines };
}

async function connect(url: URL) {
  const transport = new StreamableHTTPClientTransport(url);
  client = new Client({ name: 'hardening', version: '1' });
  await client.connect(transport);
  return { client, transport };
}

describe('initialize answered with a redirect, then a 404', () => {
  it('backs off with the reason and becomes ready once the backend answers; never failed', async () => {
    fixture = await startFaultServer();
    fixture.control.failNext(1, 307, { rpcMethod: 'initialize' }, { location: '/moved/mcp?key=hunter2' });
    fixture.control.failNext(1, 404, { rpcMethod: 'initialize' });
    const { gateway, lines } = await gatewayOver(fixture);
    // Backoff waits of 1 s then 2 s (less jitter): ready within about 3 s of wall time.
    await eventually('the backend to be ready', async () => gateway.readiness().ready || undefined, {
      timeoutMs: 10_000,
    });
    const states = lines.filter((l) => 'phase' in l).map((l) => `${l.phase}: ${l.reason ?? ''}`);
    const backoffs = states.filter((s) => s.startsWith('backoff'));
    expect(backoffs).toEqual([
      expect.stringMatching(
        /after 1 failed attempt\(s\): POST initialize: HTTP 307 \(redirected to http:\/\/127\.0\.0\.1:\d+\/moved\/mcp; mcpre does not follow redirects; if the server moved, configure its new URL\)$/,
      ),
      expect.stringMatching(
        /after 2 failed attempt\(s\): POST initialize: HTTP 404 \(JSON-RPC error -32000: injected 404\)$/,
      ),
    ]);
    expect(states.some((s) => s.startsWith('failed'))).toBe(false);
    expect(fixture.control.count({ rpcMethod: 'initialize' })).toBe(3);
    // The redirect's query (where keys hide) is in no log line.
    expect(lines.map((l) => JSON.stringify(l)).filter((l) => l.includes('hunter2'))).toEqual([]);
    const { client } = await connect(gateway.url);
    expect((await client.callTool({ name: 'fx_add', arguments: { a: 1, b: 2 } })).content).toEqual([
      { type: 'text', text: '3' },
    ]);
  });
});

describe('tool names no client should see', () => {
  const hostile = ['read\u0000file', '\u001b[31mred', 'two\nlines', '', 'x'.repeat(10_000), 'y'.repeat(126)];

  it('are dropped, and /readyz, the log (once per list version) and a metric say which and why', async () => {
    fixture = await startFaultServer({ tools: ['echo', ...hostile] });
    const { gateway, lines } = await gatewayOver(fixture);
    await eventually('the backend to be ready', async () => gateway.readiness().ready || undefined);
    const { client } = await connect(gateway.url);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['fx_echo']);

    const readyz = (await (await fetch(new URL('/readyz', gateway.url))).json()) as {
      invalidNames: Array<{ backend: string; tool: string; reason: string }>;
    };
    expect(readyz.invalidNames.map((e) => `${e.tool}: ${e.reason}`)).toEqual([
      '"read\\u0000file": the name contains \\u0000: only A-Z a-z 0-9 _ - . are allowed',
      '"\\u001b[31mred": the name contains \\u001b, "[": only A-Z a-z 0-9 _ - . are allowed',
      '"two\\u000alines": the name contains \\u000a: only A-Z a-z 0-9 _ - . are allowed',
      '"": the name is empty',
      `"${'x'.repeat(64)}"... (10000 characters): the name is 10000 characters long (at most 128)`,
      `"${'y'.repeat(64)}"... (126 characters): its aggregated name "fx_${'y'.repeat(61)}"... (129 characters) is not valid: the name is 129 characters long (at most 128)`,
    ]);
    const metrics = await (await fetch(new URL('/metrics', gateway.url))).text();
    expect(metrics).toContain('mcpre_gateway_invalid_tool_names{backend="fx"} 6');

    const warnings = () => lines.filter((l) => l.msg === 'backend tools hidden: not valid MCP tool names');
    expect(warnings()).toHaveLength(1);
    // The backend re-sends the same list: nothing new to say.
    const fetches = fixture.control.count({ rpcMethod: 'tools/list' });
    await fixture.control.sendListChanged('tools');
    await eventually(
      'the re-fetch',
      async () => fixture!.control.count({ rpcMethod: 'tools/list' }) > fetches || undefined,
    );
    // A new list version: one more line, naming only what is wrong now.
    await fixture.control.setTools(['echo', 'add', 'has space']);
    await eventually('the new list', async () => ((await client.listTools()).tools.length === 2 ? true : undefined));
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]?.invalidNames).toEqual([
      { backend: 'fx', tool: '"has space"', reason: 'the name contains a space: only A-Z a-z 0-9 _ - . are allowed' },
    ]);
    // No log line carries a control character of a hostile name: they are written as \\uXXXX escapes.
    expect(lines.filter((l) => stringsIn(l).some((text) => [...text].some((c) => c < ' ')))).toEqual([]);
  });
});

describe('errors say where they happened, each prefix once', () => {
  it('a backend HTTP error names the backend and the step; the prefix appears once', async () => {
    fixture = await startFaultServer();
    const { gateway } = await gatewayOver(fixture);
    await eventually('the backend to be ready', async () => gateway.readiness().ready || undefined);
    const { client } = await connect(gateway.url);
    fixture.control.failNext(1, 400, { rpcMethod: 'tools/call' });
    await expect(client.callTool({ name: 'fx_echo', arguments: {} })).rejects.toThrow(
      /^MCP error -32603: backend "fx" failed: POST tools\/call: HTTP 400 \(JSON-RPC error -32000: injected 400\)$/,
    );
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(
      /^MCP error -32602: Unknown tool: nope$/,
    );
  });

  it('arguments nested too deeply for the gateway are reported as a gateway error; the backend never sees them', async () => {
    fixture = await startFaultServer();
    const { gateway } = await gatewayOver(fixture);
    await eventually('the backend to be ready', async () => gateway.readiness().ready || undefined);
    const { client, transport } = await connect(gateway.url);
    const calls = fixture.control.count({ rpcMethod: 'tools/call' });
    // Written by hand: a JavaScript client could not serialise this either.
    const depth = 20_000;
    const args = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: mcpHeaders(transport.sessionId),
      body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"fx_echo","arguments":{"deep":${args}}}}`,
    });
    const answer = jsonRpcAnswer(await res.text());
    expect(answer).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: {
        code: -32603,
        message:
          'gateway error while forwarding tools/call to backend "fx" (the backend is not at fault): Maximum call stack size exceeded: the request is nested too deeply',
      },
    });
    expect(fixture.control.count({ rpcMethod: 'tools/call' })).toBe(calls);
    // The session is unharmed.
    expect((await client.callTool({ name: 'fx_add', arguments: { a: 2, b: 2 } })).content).toEqual([
      { type: 'text', text: '4' },
    ]);
  });

  it('a backend result nested too deeply to relay is a gateway error the client hears at once, not a timeout', async () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const backend = await handWrittenServer(
      `{"content":[{"type":"text","text":"deep"}],"structuredContent":{"x":${deep}}}`,
    );
    const { gateway } = await gatewayOver(backend);
    await eventually('the backend to be ready', async () => gateway.readiness().ready || undefined);
    const { client } = await connect(gateway.url);
    const started = performance.now();
    await expect(client.callTool({ name: 'fx_deep', arguments: {} }, undefined, { timeout: 30_000 })).rejects.toThrow(
      /^MCP error -32603: gateway error while relaying the result of tools\/call from backend "fx" \(the backend is not at fault\): the result nests more than 1000 levels deep, more than the gateway relays$/,
    );
    // Told at once: without the check the SDK server fails to serialise the answer and the client waits 30 s.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(backend.calls.get('tools/call')).toBe(1);
  });

  it('a tools/call result that is not one names the backend, with the prefix once', async () => {
    const backend = await handWrittenServer('{"content":"not an array"}');
    const { gateway } = await gatewayOver(backend);
    await eventually('the backend to be ready', async () => gateway.readiness().ready || undefined);
    const { client } = await connect(gateway.url);
    await expect(client.callTool({ name: 'fx_deep', arguments: {} })).rejects.toThrow(
      /^MCP error -32603: backend "fx" answered tools\/call with an invalid result \(content: Invalid input: expected array, received string\)$/,
    );
  });
});

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/**
 * A stateless MCP server written by hand, so it can send what no SDK would as its tools/call result (`callResult`:
 * JSON text, e.g. nested 20,000 levels deep). Every request it gets is counted by method.
 */
async function handWrittenServer(callResult: string) {
  const calls = new Map<string, number>();
  raw = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const message = JSON.parse(body) as { id?: number; method: string };
      calls.set(message.method, (calls.get(message.method) ?? 0) + 1);
      if (message.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const results: Record<string, string> = {
        initialize: JSON.stringify({
          protocolVersion: '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'deep', version: '1' },
        }),
        'tools/list': JSON.stringify({ tools: [{ name: 'deep', inputSchema: { type: 'object' } }] }),
        'tools/call': callResult,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"jsonrpc":"2.0","id":${message.id},"result":${results[message.method] ?? '{}'}}`);
    });
  });
  await new Promise<void>((resolve) => raw?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/mcp`, calls };
}

/** The one JSON-RPC message of a POST answer, sent as JSON or as an SSE event. */
function jsonRpcAnswer(body: string): unknown {
  const data = body
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l.length > 6)
    .map((l) => l.slice(6));
  return JSON.parse(data.length > 0 ? (data.at(-1) as string) : body);
}
