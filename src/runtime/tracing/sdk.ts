// The OpenTelemetry SDK, loaded only when tracing is configured (tracing.ts imports this file lazily): a tracer
// provider with the sampler and resource the environment names, one batch processor exporting by OTLP, the W3C trace
// context propagator and the AsyncLocalStorage context manager, registered as the process's globals.
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { batchedStderr } from '../batched-stderr.ts';
import { createLogger } from '../logging.ts';
import { otlpHeaderValues, type SamplerSetting, type TracingConfig } from './config.ts';
import { ExportWatch } from './export-watch.ts';

/**
 * `logger` hears when exports start failing and when they recover (default: a `component: tracing` logger on stderr,
 * as the process's own logger is made after tracing starts).
 */
export async function startSdk(
  config: TracingConfig,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger = createLogger({ level: 'info' }, batchedStderr(), { component: 'tracing' }),
) {
  const exporter = new ExportWatch(await exporterFor(config), {
    endpoint: config.url,
    logger,
    headerValues: otlpHeaderValues(env),
  });
  const provider = new TracerProvider({
    sampler: samplerFor(config.sampler),
    resource: defaultResource().merge(
      resourceFromAttributes({ ...config.resourceAttributes, [ATTR_SERVICE_NAME]: config.serviceName }),
    ),
    // Spans leave in batches every second: a trace is visible soon after a call, without one request per span.
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  return {
    api,
    tracer: provider.getTracer('mcpre'),
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      try {
        await provider.shutdown();
      } finally {
        api.trace.disable();
        api.propagation.disable();
        api.context.disable();
      }
    },
  };
}

async function exporterFor(config: TracingConfig): Promise<SpanExporter> {
  const options = { url: config.url };
  switch (config.protocol) {
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(options);
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(options);
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter(options);
  }
}

function samplerFor(setting: SamplerSetting): Sampler {
  switch (setting.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(setting.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(setting.ratio) });
  }
}
