// Span exports that fail are told once: one warning naming the endpoint when they start failing, one line when they
// recover, nothing per batch between; the OTLP header values (credentials) never appear.

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/runtime/logging.ts';
import { ExportWatch } from '../../../src/runtime/tracing/export-watch.ts';
import { flushTracing, shutdownTracing, startSpan, startTracing } from '../../../src/runtime/tracing/tracing.ts';

const SECRET = 'otlp-key-5f1e9a7c3b2d';
const HEADERS = `x-api-key=${SECRET},authorization=Bearer%20${SECRET}-bearer`;

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { lines, raw, logger: createLogger({ level: 'debug', timestamp: false }, stream, { component: 'tracing' }) };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

afterEach(async () => {
  await shutdownTracing();
  vi.unstubAllEnvs();
});

describe('failed span exports', () => {
  it('an exporter pointed at a closed loopback port writes exactly one warning, naming the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    // The exporter reads its headers and timeout from the process environment; the short timeout ends its retries.
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', HEADERS);
    vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '300');
    const { lines, raw, logger } = capture();
    await startTracing(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: HEADERS,
      },
      'unit-export-failure',
      logger,
    );
    for (let batch = 0; batch < 2; batch++) {
      startSpan(`span ${batch}`, 'internal').end();
      // A flush hands the failure to its caller too; the log line is for the batches nobody waits for.
      expect(String(await flushTracing().catch((err: unknown) => err))).toContain('ECONNREFUSED');
    }
    expect(lines.map((l) => [l.level, l.msg, l.endpoint])).toEqual([
      [40, 'trace export failing: spans are dropped until the collector answers', `${endpoint}/v1/traces`],
    ]);
    expect(lines[0]?.err).toContain('ECONNREFUSED');
    expect(raw.join('\n')).not.toContain(SECRET);
  });

  it('tells the start of failures and the recovery once each, with header values taken out of the error', async () => {
    const results = [
      { code: ExportResultCode.SUCCESS },
      { code: ExportResultCode.FAILED, error: new Error(`401: key ${SECRET} refused`) },
      { code: ExportResultCode.FAILED, error: new Error(`401: key ${SECRET} refused`) },
      { code: ExportResultCode.SUCCESS },
      { code: ExportResultCode.SUCCESS },
    ];
    const inner: SpanExporter = {
      export: (_spans, done) => done(results.shift() as (typeof results)[number]),
      shutdown: async () => {},
    };
    const { lines, raw, logger } = capture();
    const watch = new ExportWatch(inner, { endpoint: 'http://127.0.0.1:1/v1/traces', logger, headerValues: [SECRET] });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) watch.export([] as ReadableSpan[], (r) => codes.push(r.code));
    expect(codes).toEqual([0, 1, 1, 0, 0]);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'trace export failing: spans are dropped until the collector answers'],
      [30, 'trace export recovered'],
    ]);
    expect(lines[0]?.err).toBe('401: key [redacted] refused');
    expect(raw.join('\n')).not.toContain(SECRET);
  });
});
