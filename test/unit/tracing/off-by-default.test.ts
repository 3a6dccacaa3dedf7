// Tracing costs nothing unless configured: without OTEL_* settings a gateway process serving a request loads no
// OpenTelemetry SDK, context manager or exporter (so nothing can be exported); with an endpoint it loads them and
// exports the request's server span. Each case is a fresh process (test/fixtures/tracing/module-census.ts).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToEnd } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../../support/otlp-receiver.ts';

const census = join(import.meta.dirname, '../../fixtures/tracing/module-census.ts');

/** This environment without any OTEL_* variable, plus `extra`. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_')) out[k] = v;
  return { ...out, ...extra };
}

async function run(extra: Record<string, string>) {
  const { code, stdout, stderr } = await runToEnd(process.execPath, [census], { env: env(extra), timeoutMs: 60_000 });
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { on: boolean; status: number; loaded: string[] };
}

describe('tracing is off and unloaded by default', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('loads no OpenTelemetry SDK without OTEL_* settings, even with a service name and sampler set', async () => {
    const result = await run({ OTEL_SERVICE_NAME: 'census', OTEL_TRACES_SAMPLER: 'always_on' });
    // The API package alone: prom-client's process metrics require it at load (for exemplars), tracing or not.
    expect(result).toEqual({ on: false, status: 200, loaded: ['@opentelemetry/api'] });
  });

  it('loads the SDK and exports the server span when an endpoint is named', async () => {
    const result = await run({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(result.on).toBe(true);
    expect(result.status).toBe(200);
    expect(result.loaded).toEqual(
      expect.arrayContaining([
        '@opentelemetry/api',
        '@opentelemetry/sdk-trace',
        '@opentelemetry/exporter-trace-otlp-http',
      ]),
    );
    expect(result.loaded).not.toContain('@opentelemetry/exporter-trace-otlp-grpc');
    // Shutdown flushed before the process printed its census.
    await until('the server span', () => receiver.spans.some((s) => s.name === 'initialize'));
    expect(receiver.spans.find((s) => s.name === 'initialize')).toMatchObject({
      service: 'census-gateway',
      kind: 2,
      attributes: { 'mcp.method.name': 'initialize', 'http.response.status_code': 200, 'jsonrpc.request.id': '1' },
    });
  });
});
