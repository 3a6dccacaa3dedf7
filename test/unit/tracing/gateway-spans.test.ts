// The gateway's span helpers on their own: the server span takes its parent from the traceparent header, else from the
// request's `_meta` (2026-07-28 clients), and names itself after the conventions; the backend call span puts its trace
// context into `_meta` for a 2026-07-28 backend only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/gateway/backend.ts';
import { BackendCallTrace } from '../../../src/gateway/backend-call-trace.ts';
import { RequestTrace } from '../../../src/gateway/request-trace.ts';
import { flushTracing, shutdownTracing, startTracing } from '../../../src/runtime/tracing/tracing.ts';
import { until } from '../../support/eventually.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../../support/otlp-receiver.ts';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const HEADER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('gateway spans', () => {
  let receiver: OtlpReceiver;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await startTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      'unit-gateway',
    );
    server = createServer((req, res) => {
      const trace = new RequestTrace(req, res);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        void trace.authenticate(async () => ({ ok: true })).then(() => trace.run(body, () => res.end('{}')));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });

  afterAll(async () => {
    await shutdownTracing();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await receiver?.close();
  });

  const call = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.text());
  const request = (id: number, meta?: Record<string, unknown>) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: `tool_${id}`, arguments: {}, ...(meta ? { _meta: meta } : {}) },
  });
  const serverSpan = async (name: string) => {
    await flushTracing();
    await until(`span ${name}`, () => receiver.spans.some((s) => s.name === name));
    return receiver.spans.find((s) => s.name === name);
  };

  it("continues the trace named in the request's _meta, under the conventions' name, with authentication as a child", async () => {
    await call(request(1, { traceparent: `00-${CLIENT_TRACE}-b7ad6b7169203331-01` }));
    const span = await serverSpan('tools/call tool_1');
    expect(span).toMatchObject({
      traceId: CLIENT_TRACE,
      parentSpanId: 'b7ad6b7169203331',
      kind: 2,
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'tool_1', 'jsonrpc.request.id': '1' },
    });
    const auth = await serverSpan('authenticate');
    expect(auth).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: span?.spanId });
  });

  it('prefers the traceparent header over _meta, and starts a new trace without either', async () => {
    await call(request(2, { traceparent: `00-${CLIENT_TRACE}-b7ad6b7169203331-01` }), {
      traceparent: `00-${HEADER_TRACE}-00f067aa0ba902b7-01`,
    });
    expect(await serverSpan('tools/call tool_2')).toMatchObject({
      traceId: HEADER_TRACE,
      parentSpanId: '00f067aa0ba902b7',
    });
    await call(request(3));
    const fresh = await serverSpan('tools/call tool_3');
    expect(fresh?.parentSpanId).toBe('');
    expect([CLIENT_TRACE, HEADER_TRACE]).not.toContain(fresh?.traceId);
  });

  it("gives a 2026-07-28 backend the call span's trace context in _meta, and a 2025 one nothing", () => {
    const backend = (protocolVersion: string) =>
      ({
        info: { name: 'b', url: 'http://127.0.0.1:9/mcp', type: 'direct', authMethod: 'unauthenticated' },
        protocolVersion,
      }) as unknown as Backend;
    const params = { name: 'echo', _meta: { progressToken: 7 } };
    const modern = new BackendCallTrace(backend('2026-07-28'), 'tools/call', params);
    const sent = modern.params(params) as { _meta: Record<string, unknown> };
    expect(sent._meta.progressToken).toBe(7);
    expect(sent._meta.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    modern.end('ok', 200);
    const legacy = new BackendCallTrace(backend('2025-11-25'), 'tools/call', params);
    expect(legacy.params(params)).toBe(params);
    legacy.end('ok', 200);
  });
});
