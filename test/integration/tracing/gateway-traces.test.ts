// Traces checked against a real Jaeger (v1.75.0, built from Go modules, OTLP receiver and query API on loopback):
// `mcpre gateway` and a test backend that traces like an MCP server (both child processes, each exporting under its
// own service name) put one call into one trace: the gateway's server span, its backend call span, the backend's own
// span; a lost backend session shows as events on the retried call's span; a client's traceparent is kept; a request
// the backend sends during a call (sampling), relayed to the client, is a child of the call; a 2026-07-28 client's
// `_meta` trace context is taken, and a 2026-07-28 backend gets the call's in its header and `_meta`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModernServer, startModernServer } from '../../fixtures/mcp/modern-server.ts';
import { type RunningChild, servingUrl, spawnChild, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';
import {
  eventsOf,
  type JaegerSpan,
  type JaegerTrace,
  parentOf,
  type RunningJaeger,
  serviceOf,
  startJaeger,
  tagsOf,
} from '../../support/jaeger.ts';
import { modernEnvelope } from '../../support/modern-envelope.ts';

const GATEWAY = 'mcpre-gateway-under-test';
const BACKEND = 'test-backend';

describe('gateway traces in Jaeger', () => {
  let jaeger: RunningJaeger;
  let backend: RunningChild;
  let gateway: RunningChild;
  let backendUrl: URL;
  /** A 2026-07-28-only backend (in this process, untraced) that records each request's headers and `_meta`. */
  let modern: ModernServer;
  let gatewayUrl: URL;
  let dir: string;
  const clients: Client[] = [];

  const connect = async (headers: Record<string, string> = {}) => {
    const client = new Client({ name: 'tracing-test', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: 'assistant' as const,
      content: { type: 'text' as const, text: `model read ${JSON.stringify(req.params.messages[0]?.content)}` },
      model: 'test-model',
    }));
    await client.connect(new StreamableHTTPClientTransport(gatewayUrl, { requestInit: { headers } }));
    clients.push(client);
    return client;
  };
  const control = async (name: string) => {
    const res = await fetch(new URL(`/__control/${name}`, backendUrl), { method: 'POST', body: '[]' });
    expect(res.status).toBe(200);
  };
  const spanNamed = (trace: JaegerTrace, name: string, service: string) =>
    trace.spans.filter((s) => s.operationName === name && serviceOf(trace, s) === service);
  const only = (spans: JaegerSpan[]): JaegerSpan => {
    expect(spans).toHaveLength(1);
    return spans[0] as JaegerSpan;
  };

  beforeAll(async () => {
    jaeger = await startJaeger();
    const env = (service: string) => ({ PATH: process.env.PATH, ...jaeger.env(service) });
    const tools = JSON.stringify({ tools: ['echo', 'add', 'sample'] });
    backend = spawnChild(process.execPath, ['test/fixtures/tracing/traced-fault-server.ts', tools], {
      env: env(BACKEND),
    });
    backendUrl = new URL((await backend.waitForStdout(/MCPRE_FIXTURE_URL (\S+)/))[1] as string);
    dir = mkdtempSync(join(tmpdir(), 'mcpre-tracing-'));
    const config = join(dir, 'gateway.yaml');
    modern = await startModernServer();
    writeFileSync(
      config,
      `backends:\n  - name: fx\n    url: ${backendUrl.href}\n  - name: m\n    url: ${modern.url}\n`,
    );
    gateway = spawnMcpre(['gateway', '--config', config, '--port', '0'], env(GATEWAY));
    gatewayUrl = await servingUrl(gateway);
    await waitForReadyz(gatewayUrl, gateway);
  });

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await gateway?.stop();
    await backend?.stop();
    await modern?.close();
    await jaeger?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("puts a tool call into one trace: the gateway's server span, its backend call, the backend's own span", async () => {
    const client = await connect();
    expect((await client.callTool({ name: 'fx_echo', arguments: { x: 1 } })).content).toEqual([
      { type: 'text', text: '{"x":1}' },
    ]);
    const trace = await jaeger.waitForTrace(
      GATEWAY,
      (t) =>
        spanNamed(t, 'tools/call fx_echo', GATEWAY).length === 1 &&
        spanNamed(t, 'backend tools/call', BACKEND).length === 1,
    );
    const server = only(spanNamed(trace, 'tools/call fx_echo', GATEWAY));
    const call = only(spanNamed(trace, 'tools/call echo', GATEWAY));
    const remote = only(spanNamed(trace, 'backend tools/call', BACKEND));
    expect(parentOf(server)).toBeUndefined();
    expect(parentOf(call)).toBe(server.spanID);
    expect(parentOf(remote)).toBe(call.spanID);
    expect(tagsOf(server)).toMatchObject({
      'span.kind': 'server',
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'fx_echo',
      'http.response.status_code': 200,
    });
    expect(typeof tagsOf(server)['mcp.session.id']).toBe('string');
    expect(tagsOf(call)).toMatchObject({
      'span.kind': 'client',
      'mcpre.backend.name': 'fx',
      'gen_ai.tool.name': 'echo',
      'server.address': '127.0.0.1',
      'server.port': Number(backendUrl.port),
      'http.response.status_code': 200,
      'mcpre.outcome': 'ok',
    });
  });

  it("shows a lost backend session as events on the retried call's span", async () => {
    const client = await connect();
    await control('dropSessions');
    expect((await client.callTool({ name: 'fx_add', arguments: { a: 2, b: 3 } })).content).toEqual([
      { type: 'text', text: '5' },
    ]);
    const trace = await jaeger.waitForTrace(
      GATEWAY,
      (t) =>
        spanNamed(t, 'tools/call fx_add', GATEWAY).length === 1 &&
        spanNamed(t, 'backend tools/call', BACKEND).length === 2,
    );
    const call = only(spanNamed(trace, 'tools/call add', GATEWAY));
    expect(eventsOf(call)).toEqual(['mcp.backend.session_lost', 'mcp.backend.retry']);
    // Both attempts reached the backend inside this call's trace: the refused one (404) and the retry.
    const attempts = spanNamed(trace, 'backend tools/call', BACKEND);
    expect(attempts.map((s) => parentOf(s))).toEqual([call.spanID, call.spanID]);
    expect(attempts.map((s) => tagsOf(s)['http.response.status_code']).sort()).toEqual([200, 404]);
  });

  it("keeps a client's traceparent: the trace id reaches the backend, under the gateway's spans", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const client = await connect({ traceparent: `00-${traceId}-${parent}-01` });
    await client.callTool({ name: 'fx_echo', arguments: { y: 2 } });
    const trace = await jaeger.waitForTrace(
      BACKEND,
      (t) =>
        t.traceID === traceId &&
        spanNamed(t, 'backend tools/call', BACKEND).length === 1 &&
        spanNamed(t, 'tools/call echo', GATEWAY).length === 1,
    );
    const server = only(spanNamed(trace, 'tools/call fx_echo', GATEWAY));
    const call = only(spanNamed(trace, 'tools/call echo', GATEWAY));
    const remote = only(spanNamed(trace, 'backend tools/call', BACKEND));
    expect(parentOf(server)).toBe(parent);
    expect(parentOf(call)).toBe(server.spanID);
    expect(parentOf(remote)).toBe(call.spanID);
    expect(remote.traceID).toBe(traceId);
  });

  it('shows a request the backend sent during the call, relayed to the client, as a child of the call', async () => {
    const client = await connect();
    const result = await client.callTool({ name: 'fx_sample', arguments: { prompt: 'traced' } });
    expect((result.content as Array<{ text: string }>)[0]?.text).toContain('traced');
    const trace = await jaeger.waitForTrace(
      GATEWAY,
      (t) => spanNamed(t, 'relay sampling/createMessage', GATEWAY).length === 1,
    );
    const call = only(spanNamed(trace, 'tools/call sample', GATEWAY));
    const relay = only(spanNamed(trace, 'relay sampling/createMessage', GATEWAY));
    expect(parentOf(relay)).toBe(call.spanID);
    expect(tagsOf(relay)['mcp.method.name']).toBe('sampling/createMessage');
  });

  it("takes a 2026-07-28 client's trace context from _meta and gives a 2026-07-28 backend the call's, in header and _meta", async () => {
    const traceId = '5ce0e9a56015fec5aadfa328ae398115';
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'm_echo',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: {
          name: 'm_echo',
          arguments: { text: 'modern' },
          _meta: {
            traceparent: `00-${traceId}-ab42124a3c573678-01`,
            ...modernEnvelope(),
          },
        },
      }),
    });
    expect(((await res.json()) as { result?: { content?: unknown } }).result?.content).toEqual([
      { type: 'text', text: 'modern' },
    ]);
    const trace = await jaeger.waitForTrace(
      GATEWAY,
      (t) => t.traceID === traceId && spanNamed(t, 'tools/call echo', GATEWAY).length === 1,
    );
    const server = only(spanNamed(trace, 'tools/call m_echo', GATEWAY));
    const call = only(spanNamed(trace, 'tools/call echo', GATEWAY));
    expect(parentOf(server)).toBe('ab42124a3c573678');
    expect(tagsOf(server)['mcp.protocol.version']).toBe('2026-07-28');
    const sent = modern.control.requests.filter((r) => r.rpcMethod === 'tools/call');
    expect(sent).toHaveLength(1);
    const expected = `00-${traceId}-${call.spanID}-01`;
    expect(sent[0]?.headers.traceparent).toBe(expected);
    expect(sent[0]?.meta?.traceparent).toBe(expected);
  });
});
