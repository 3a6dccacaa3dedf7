// Tracing on, exporting to a loopback OTLP/JSON receiver: spans nest through async work, W3C trace context goes out
// in the backend HTTP client's headers and comes in from a carrier, events land on the active span, log lines carry
// the active span's ids, and shutdown flushes.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { createLogger } from '../../../src/runtime/logging.ts';
import {
  activeTraceIds,
  extractContext,
  flushTracing,
  shutdownTracing,
  spanEvent,
  startSpan,
  startTracing,
  traced,
  traceHeaders,
  traceHooks,
  tracing,
  withSpan,
} from '../../../src/runtime/tracing/tracing.ts';
import { until } from '../../support/eventually.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../../support/otlp-receiver.ts';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('tracing on', () => {
  let receiver: OtlpReceiver;
  let echo: Server;
  let seen: IncomingHttpHeaders[];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const config = await startTracing(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'unit-gateway',
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
      },
      'mcpre-gateway',
    );
    expect(config?.url).toBe(`${receiver.endpoint}/v1/traces`);
    seen = [];
    echo = createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await shutdownTracing();
    await new Promise<void>((resolve) => echo?.close(() => resolve()));
    await receiver?.close();
  });

  it('nests spans through async work and exports them with the resource', async () => {
    expect(tracing.on).toBe(true);
    let inner: { trace_id: string; span_id: string } | undefined;
    // traced() makes children only: outside any span it runs its work without a span.
    await traced('orphan', {}, async () => {});
    const root = startSpan('outer', 'internal', { step: 'one' });
    await withSpan(root, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await traced('inner', {}, async () => {
        await Promise.resolve();
        inner = activeTraceIds();
        spanEvent('mcp.backend.retry', { attempt: 2 });
      });
    });
    root.end();
    await flushTracing();
    await until('both spans received', () => receiver.spans.filter((s) => s.name === 'inner').length === 1);
    const outer = receiver.spans.find((s) => s.name === 'outer');
    const innerSpan = receiver.spans.find((s) => s.name === 'inner');
    expect(outer).toMatchObject({ service: 'unit-gateway', attributes: { step: 'one' }, parentSpanId: '' });
    expect(outer?.resource['deployment.environment']).toBe('test');
    expect(innerSpan).toMatchObject({
      traceId: outer?.traceId,
      parentSpanId: outer?.spanId,
      events: [{ name: 'mcp.backend.retry', attributes: { attempt: 2 } }],
    });
    expect(inner).toEqual({ trace_id: innerSpan?.traceId, span_id: innerSpan?.spanId });
    expect(receiver.spans.map((s) => s.name)).not.toContain('orphan');
  });

  it("sends the active span's traceparent on the backend HTTP client's requests, and none outside a span", async () => {
    const http = createHttpClient({ clock: systemClock, trace: traceHooks() });
    const origin = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const get = async () => {
      const res = await http.dispatcher.request({ origin, path: '/', method: 'GET', headers: { 'x-own': '1' } });
      await res.body.text();
    };
    const span = startSpan('backend call', 'client');
    await withSpan(span, get);
    span.end();
    await get();
    await http.close();
    const { traceId, spanId } = span.spanContext();
    expect(seen[0]?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(seen[0]?.['x-own']).toBe('1');
    expect(seen[1]?.traceparent).toBeUndefined();
    expect(seen[1]?.['x-own']).toBe('1');
  });

  it("takes a caller's trace context from a carrier (headers or _meta) and continues its trace", async () => {
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const carrier = { traceparent: `00-${callerTrace}-b7ad6b7169203331-01`, tracestate: 'vendor=x' };
    const span = startSpan('tools/call echo', 'server', {}, extractContext(carrier));
    const sent = withSpan(span, traceHeaders);
    span.end();
    expect(span.spanContext().traceId).toBe(callerTrace);
    const [, trace, parent] = TRACEPARENT.exec(sent?.traceparent ?? '') ?? [];
    expect(trace).toBe(callerTrace);
    expect(parent).toBe(span.spanContext().spanId);
    expect(sent?.tracestate).toBe('vendor=x');
    await flushTracing();
    await until('the span received', () => receiver.spans.some((s) => s.name === 'tools/call echo'));
    expect(receiver.spans.find((s) => s.name === 'tools/call echo')?.parentSpanId).toBe('b7ad6b7169203331');
  });

  it('puts trace_id and span_id on log lines written inside a span, and only there', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, sink, { component: 'test' });
    const span = startSpan('logged', 'internal');
    withSpan(span, () => logger.info('inside'));
    span.end();
    logger.info('outside');
    await until('two lines', () => lines.length === 2);
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(lines[1]?.msg).toBe('outside');
    expect(lines[1]).not.toHaveProperty('trace_id');
  });
});
