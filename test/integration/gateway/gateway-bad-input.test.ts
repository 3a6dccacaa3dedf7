// Bad input at the gateway's HTTP front: each gets the right status and JSON-RPC error, and an established client
// session keeps working afterwards.
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { until } from '../../support/eventually.ts';
import { mcpHeaders, SESSION_REVISION } from '../../support/mcp-http.ts';

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: SESSION_REVISION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: number; message: string } }).error;

describe('gateway bad input', () => {
  let backend: DemoBackend;
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    backend = await startDemoBackend();
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [{ name: 'demo', url: backend.url.href }],
        server: { maxRequestBodyBytes: 64 * 1024 },
      }),
      logger: pino({ level: 'silent' }),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
    expect(gateway.readiness().ready).toBe(true);
    client = new Client({ name: 'steady', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    await backend?.close();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(gateway.url, { method: 'POST', headers: mcpHeaders(undefined, headers), body });

  async function stillServing() {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('demo_echo');
    const r = await client.callTool({ name: 'demo_echo', arguments: { message: 'still here' } });
    expect(r.content).toEqual([{ type: 'text', text: 'still here' }]);
  }

  it('answers malformed JSON with 400 and a parse error', async () => {
    const res = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
    await stillServing();
  });

  it('answers JSON that is not JSON-RPC on a live session with a parse error', async () => {
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const res = await post(JSON.stringify({ hello: 'world' }), mcpHeaders(sessionId));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe(-32700);
    await stillServing();
  });

  it('answers an unknown tool with a JSON-RPC invalid-params error', async () => {
    await expect(client.callTool({ name: 'demo_nonexistent', arguments: {} })).rejects.toThrow(/-32602.*Unknown tool/);
    await stillServing();
  });

  it('refuses a body over the limit with 413, by Content-Length and while streaming', async () => {
    const huge = JSON.stringify({ ...initialize, params: { ...initialize.params, pad: 'x'.repeat(200 * 1024) } });
    const res = await post(huge);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).message).toMatch(/65536 bytes/);

    // Chunked, no Content-Length: the limit is enforced on the bytes as they arrive.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(gateway.url, { method: 'POST', headers: mcpHeaders() }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8 * 1024));
      req.end();
    });
    expect(status).toBe(413);
    await stillServing();
  });

  it('refuses a foreign Origin and a foreign Host with 403 (DNS rebinding)', async () => {
    const res = await post(JSON.stringify(initialize), { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toMatch(/Origin/);
    const local = await post(JSON.stringify(initialize), { origin: 'http://localhost:6274' });
    expect(local.status).toBe(200);
    await local.body?.cancel();

    const hostStatus = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        gateway.url,
        { method: 'POST', headers: mcpHeaders(undefined, { host: 'rebound.evil.example' }) },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(initialize));
    });
    expect(hostStatus).toBe(403);
    await stillServing();
  });

  it('answers an unknown session with 404, a missing one with 400, and other methods with 405', async () => {
    const unknown = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), {
      'mcp-session-id': 'not-a-session',
    });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe(-32001);
    const missing = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
    expect(missing.status).toBe(400);
    await missing.body?.cancel();
    const put = await fetch(gateway.url, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
    await put.body?.cancel();
    const other = await fetch(new URL('/other', gateway.url));
    expect(other.status).toBe(404);
    await other.body?.cancel();
    await stillServing();
  });

  it('serves health, readiness and metrics', async () => {
    expect((await fetch(new URL('/healthz', gateway.url))).status).toBe(200);
    const ready = await fetch(new URL('/readyz', gateway.url));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, backends: [{ name: 'demo', state: 'ready' }] });
    const metrics = await (await fetch(new URL('/metrics', gateway.url))).text();
    expect(metrics).toMatch(
      /mcpre_gateway_backend_calls_total\{backend="demo",method="tools\/call",outcome="ok"\} [1-9]/,
    );
    expect(metrics).toMatch(/mcpre_gateway_http_rejections_total\{reason="body-too-large"\} 2/);
    expect(metrics).toMatch(/mcpre_gateway_http_rejections_total\{reason="origin"\} 1/);
    expect(metrics).toMatch(/mcpre_gateway_backends\{state="ready"\} 1/);
  });
});
