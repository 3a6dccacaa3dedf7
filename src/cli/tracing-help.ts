// The tracing paragraph of `--help` for the commands that trace (gateway, operator): tracing has no flags, only the
// standard OpenTelemetry environment (src/runtime/tracing/config.ts reads it).
export const tracingHelp =
  '\nTracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names an OTLP collector;\n' +
  'OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER(_ARG) and OTEL_RESOURCE_ATTRIBUTES\n' +
  'as in docs/operations.md#tracing. A bad value stops the start with an error.';
