// A real Jaeger (v2 all-in-one, built by scripts/setup-jaeger.sh and resolved once by the integration global setup
// into JAEGER_BIN) as a child process on loopback: OTLP receivers (HTTP and gRPC) and the query API on free ports,
// in-memory storage, its config written to a scratch directory. Ready when the query API answers and the OTLP HTTP
// receiver accepts a connection; stopped (and the directory removed) by close(). Traces are read back through the
// query API (`/api/traces`), polled until what a test expects is there, bounded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/control-plane/free-port.ts';
import { accepts, type RunningChild, spawnChild } from './child-process.ts';
import { eventually, until } from './eventually.ts';

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  tags: Array<{ key: string; type: string; value: unknown }>;
  logs: Array<{ timestamp: number; fields: Array<{ key: string; value: unknown }> }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface RunningJaeger {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP). */
  otlpHttp: string;
  /** For OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_PROTOCOL=grpc. */
  otlpGrpc: string;
  /** The query API's base URL. */
  query: string;
  /** The OTEL_* variables that send a service's spans here. */
  env(serviceName: string): Record<string, string>;
  /** Traces of a service, newest first (Jaeger's query API). */
  traces(service: string, limit?: number): Promise<JaegerTrace[]>;
  /** One trace by id; undefined until Jaeger has it. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  /** Polls a service's traces until `pick` finds one (bounded), and returns it. */
  waitForTrace(service: string, pick: (t: JaegerTrace) => boolean, timeoutMs?: number): Promise<JaegerTrace>;
  close(): Promise<void>;
}

function configYaml(p: { otlpHttp: number; otlpGrpc: number; queryHttp: number; queryGrpc: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${p.queryHttp}
    grpc:
      endpoint: 127.0.0.1:${p.queryGrpc}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${p.otlpGrpc}
      http:
        endpoint: 127.0.0.1:${p.otlpHttp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T | undefined }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, body: res.ok ? (JSON.parse(text) as T) : undefined };
}

export async function startJaeger(bin = process.env.JAEGER_BIN): Promise<RunningJaeger> {
  if (!bin)
    throw new Error('JAEGER_BIN is not set: the integration global setup resolves it (scripts/setup-jaeger.sh)');
  const ports = {
    otlpHttp: await freePort(),
    otlpGrpc: await freePort(),
    queryHttp: await freePort(),
    queryGrpc: await freePort(),
  };
  const dir = mkdtempSync(join(tmpdir(), 'mcpre-jaeger-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, configYaml(ports));
  const child: RunningChild = spawnChild(bin, ['--config', config], { cwd: dir });
  const query = `http://127.0.0.1:${ports.queryHttp}`;
  const exited = () => child.child.exitCode !== null || child.child.signalCode !== null;
  try {
    await until(
      'jaeger to serve its query API and OTLP receiver',
      async () => {
        if (exited()) throw new Error(`jaeger exited (${child.child.exitCode}):\n${child.stderr().slice(-2000)}`);
        const services = await getJson(`${query}/api/services`).catch(() => ({ status: 0 }));
        return services.status === 200 && (await accepts(ports.otlpHttp));
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (err) {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${child.stderr().slice(-2000)}`);
  }

  const traces = async (service: string, limit = 50) => {
    const url = `${query}/api/traces?service=${encodeURIComponent(service)}&limit=${limit}&lookback=1h`;
    const { body } = await getJson<{ data: JaegerTrace[] }>(url);
    return body?.data ?? [];
  };
  return {
    otlpHttp: `http://127.0.0.1:${ports.otlpHttp}`,
    otlpGrpc: `http://127.0.0.1:${ports.otlpGrpc}`,
    query,
    env: (serviceName) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.otlpHttp}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: serviceName,
      OTEL_TRACES_SAMPLER: 'always_on',
    }),
    traces,
    async trace(traceId) {
      const { body } = await getJson<{ data: JaegerTrace[] }>(`${query}/api/traces/${traceId}`);
      return body?.data?.[0];
    },
    waitForTrace(service, pick, timeoutMs = 20_000) {
      return eventually(`a trace of ${service} in Jaeger`, async () => (await traces(service)).find(pick), {
        timeoutMs,
        intervalMs: 200,
      });
    },
    async close() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The span's tags as a plain object. */
export function tagsOf(span: JaegerSpan): Record<string, unknown> {
  return Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
}

/** The names of the span's events (Jaeger shows them as logs with an `event` field). */
export function eventsOf(span: JaegerSpan): string[] {
  return span.logs.map((l) => String(l.fields.find((f) => f.key === 'event')?.value ?? ''));
}

/** The service that emitted a span of the trace. */
export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string | undefined {
  return trace.processes[span.processID]?.serviceName;
}

/** The span's parent in its trace (CHILD_OF reference), if any. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}
