// The process's tracing switch and the few operations the code paths use. Off (the default) it is one boolean: no
// OpenTelemetry module is loaded, no context manager runs, and every caller checks `tracing.on` before doing anything.
// On, the SDK is loaded once at start (sdk.ts, imported lazily), spans are exported by OTLP in batches, and the
// AsyncLocalStorage context manager carries the active span through async work.
import type { Attributes, Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { TraceHooks } from '../../actors/mcp/http/http-client.ts';
import { type TracingConfig, tracingConfigFromEnv } from './config.ts';

type Api = typeof import('@opentelemetry/api');

interface Loaded {
  api: Api;
  tracer: Tracer;
  config: TracingConfig;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Checked on every hot path; true only between startTracing() and shutdownTracing(). */
export const tracing: { readonly on: boolean } = { on: false };
let loaded: Loaded | undefined;

export type SpanKindName = 'internal' | 'server' | 'client';
export type { Span } from '@opentelemetry/api';

/**
 * Reads the OTEL_* variables; when they name an endpoint, loads the SDK and turns tracing on. Throws a
 * TracingConfigError (one line) for a bad setting. Returns the settings in force, or undefined when off. `logger`
 * hears when span exports start failing and recover (default: stderr, `component: tracing`).
 */
export async function startTracing(
  env: Readonly<Record<string, string | undefined>>,
  defaultServiceName: string,
  logger?: Logger,
): Promise<TracingConfig | undefined> {
  const config = tracingConfigFromEnv(env, defaultServiceName);
  if (!config || loaded) return loaded?.config;
  const { startSdk } = await import('./sdk.ts');
  loaded = { ...(await startSdk(config, env, logger)), config };
  (tracing as { on: boolean }).on = true;
  return config;
}

/** Sends what is buffered (bounded by the exporter's timeout). */
export async function flushTracing(): Promise<void> {
  await loaded?.flush();
}

/** Flushes what is buffered and stops, waiting at most `timeoutMs`; tracing is off afterwards. */
export async function shutdownTracing(timeoutMs = 5000): Promise<void> {
  const was = loaded;
  if (!was) return;
  loaded = undefined;
  (tracing as { on: boolean }).on = false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([was.shutdown().catch(() => {}), late]);
  clearTimeout(timer);
}

function sdk(): Loaded {
  if (!loaded) throw new Error('tracing is off: check tracing.on before using a span');
  return loaded;
}

const KINDS: Record<SpanKindName, number> = { internal: 0, server: 1, client: 2 };

/**
 * A span, child of `parent` (default: the active context), started now or at `startTime` (epoch milliseconds).
 * Call only when tracing.on.
 */
export function startSpan(
  name: string,
  kind: SpanKindName,
  attributes: Attributes = {},
  parent?: Context,
  startTime?: number,
): Span {
  const { tracer, api } = sdk();
  const options: SpanOptions = { kind: KINDS[kind], attributes, ...(startTime !== undefined ? { startTime } : {}) };
  return tracer.startSpan(name, options, parent ?? api.context.active());
}

/** The context in which `span` is active (over `parent`, default: the active context). */
export function contextOf(span: Span, parent?: Context): Context {
  const { api } = sdk();
  return api.trace.setSpan(parent ?? api.context.active(), span);
}

/** Runs fn with `span` active (a child of `parent`, default: the active context). */
export function withSpan<T>(span: Span, fn: () => T, parent?: Context): T {
  return sdk().api.context.with(contextOf(span, parent), fn);
}

/** Marks a span failed with a short reason (never a secret: callers pass text already redacted). */
export function failSpan(span: Span, errorType: string, message?: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: 2, ...(message !== undefined ? { message } : {}) });
}

/**
 * fn inside a child span of the active one, ended when fn settles (failed when it throws). Only ever a child: with no
 * active span (a background refresh, a status write outside any reconcile), or with tracing off, just fn(), so work
 * that belongs to no request or reconcile makes no one-span traces.
 */
export async function traced<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracing.on || !sdk().api.trace.getActiveSpan()) return fn(undefined);
  const span = startSpan(name, 'internal', attributes);
  try {
    return await withSpan(span, () => fn(span));
  } catch (err) {
    failSpan(span, err instanceof Error ? err.name : 'Error', err instanceof Error ? err.message : undefined);
    throw err;
  } finally {
    span.end();
  }
}

/** A synchronous decision (fn) as a child span of the active one, its answer recorded as `attribute`. */
export function tracedDecision(name: string, attributes: Attributes, attribute: string, fn: () => boolean): boolean {
  if (!tracing.on) return fn();
  const span = startSpan(name, 'internal', attributes);
  try {
    const answer = withSpan(span, fn);
    span.setAttribute(attribute, answer);
    return answer;
  } finally {
    span.end();
  }
}

/** An event on the active span, if any. */
export function spanEvent(name: string, attributes?: Attributes): void {
  if (!tracing.on) return;
  sdk().api.trace.getActiveSpan()?.addEvent(name, attributes);
}

/** The active context's W3C trace headers (`traceparent`, and `tracestate` when set); undefined without a span. */
export function traceHeaders(): Record<string, string> | undefined {
  if (!tracing.on) return undefined;
  const { api } = sdk();
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.context.active(), carrier);
  return carrier.traceparent === undefined ? undefined : carrier;
}

/** The context a W3C carrier (HTTP headers, or an MCP request's `_meta`) names, over the root context. */
export function extractContext(carrier: Readonly<Record<string, unknown>>): Context {
  const { api } = sdk();
  return api.propagation.extract(api.ROOT_CONTEXT, carrier, {
    keys: (c) => Object.keys(c),
    get: (c, key) => {
      const v = c[key];
      return typeof v === 'string' || Array.isArray(v) ? (v as string | string[]) : undefined;
    },
  });
}

/** Whether the carrier holds a trace context at all (a `traceparent`). */
export function hasTraceParent(carrier: Readonly<Record<string, unknown>> | undefined): boolean {
  return typeof carrier?.traceparent === 'string';
}

/** The active span's ids, for log lines; undefined when off or no span is active. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  if (!tracing.on) return undefined;
  const span = sdk().api.trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  // A span the sampler dropped still has ids, but nothing was exported under them.
  if ((traceFlags & 1) === 0) return undefined;
  return { trace_id: traceId, span_id: spanId };
}

/** What the backend effects get to propagate and mark the active span (src/actors/mcp); undefined when off. */
export function traceHooks(): TraceHooks | undefined {
  return tracing.on ? { headers: traceHeaders, event: spanEvent } : undefined;
}
