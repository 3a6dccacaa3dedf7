// Failed span exports made visible. The SDK reports them only to its diag logger, which nobody reads, so a wrong
// endpoint or a collector that is down would lose every span in silence. The exporter is wrapped: one warning line
// when exports start failing, one line when they succeed again, and nothing per batch in between. The error text is
// the exporter's, which may repeat what it sent: the OTLP header values (credentials) are taken out first.
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { SecretRedactor } from '../../actors/mcp/redactor.ts';

export interface ExportWatchOptions {
  endpoint: string;
  logger: Logger;
  /** The values of OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS. */
  headerValues: readonly string[];
}

export class ExportWatch implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #o: ExportWatchOptions;
  readonly #redactor = new SecretRedactor();
  #failing = false;

  constructor(inner: SpanExporter, opts: ExportWatchOptions) {
    this.#inner = inner;
    this.#o = opts;
    for (const value of opts.headerValues) this.#redactor.addHeaderValue(value);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#inner.export(spans, (result) => {
      this.#observe(result, spans.length);
      done(result);
    });
  }

  #observe(result: ExportResult, spans: number): void {
    const failed = result.code !== ExportResultCode.SUCCESS;
    if (failed === this.#failing) return;
    this.#failing = failed;
    const { endpoint, logger } = this.#o;
    if (failed) {
      const err = this.#redactor.redact(String(result.error?.message ?? result.error ?? 'no reason given'));
      logger.warn({ endpoint, err, spans }, 'trace export failing: spans are dropped until the collector answers');
    } else logger.info({ endpoint }, 'trace export recovered');
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}
