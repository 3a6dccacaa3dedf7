import { describe, expect, it } from 'vitest';
import { TracingConfigError, tracingConfigFromEnv } from '../../../src/runtime/tracing/config.ts';

const read = (env: Record<string, string>) => tracingConfigFromEnv(env, 'mcpre-gateway');

describe('tracing settings from OTEL_* variables', () => {
  it('is off unless an OTLP endpoint is named, or when disabled', () => {
    expect(read({})).toBeUndefined();
    expect(read({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('appends /v1/traces to the base endpoint for HTTP, takes the traces endpoint as it is, gRPC as an address', () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'mcpre-gateway',
      sampler: { kind: 'parentbased_always_on' },
      resourceAttributes: {},
    });
    expect(
      read({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/custom/path',
      })?.url,
    ).toBe('https://collector/custom/path');
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({
      url: 'http://c:4317/',
      protocol: 'grpc',
    });
    expect(
      read({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      })?.protocol,
    ).toBe('http/json');
  });

  it('reads the service name, the sampler and its ratio, and percent-encoded resource attributes', () => {
    const config = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_SERVICE_NAME: 'team-a-vmcp',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, k8s.namespace.name=team%20a,,',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x,x-tenant=a',
    });
    // Headers are the exporter's to read (it takes them from the environment); they are never kept here.
    expect(JSON.stringify(config)).not.toContain('Bearer');
    expect(config).toMatchObject({
      serviceName: 'team-a-vmcp',
      sampler: { kind: 'parentbased_traceidratio', ratio: 0.25 },
      resourceAttributes: { 'deployment.environment': 'prod', 'k8s.namespace.name': 'team a' },
    });
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_TRACES_SAMPLER: 'traceidratio' })?.sampler).toEqual({
      kind: 'traceidratio',
      ratio: 1,
    });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c' }, /must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://u:p@c' }, /must not carry credentials/],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' },
      /OTEL_EXPORTER_OTLP_PROTOCOL must be one of http\/protobuf, http\/json, grpc, got "http"/,
    ],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER must be one of .*got "sometimes"/],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, /ratio from 0 to 1, got "2"/],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, /ratio from 0 to 1, got "half"/],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, /key=value pairs .*got "novalue"/],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'a=%E0%A4%A' }, /the value of a is not valid percent-encoding/],
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret,Bearer s3cret' },
      /OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not a key=value header/,
    ],
    [{ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'bad name=x' }, /OTEL_EXPORTER_OTLP_TRACES_HEADERS: entry 1/],
    [{ OTEL_SDK_DISABLED: 'yes' }, /OTEL_SDK_DISABLED must be true or false/],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER must be otlp or none/],
  ])('refuses a bad setting in one line: %j', (bad, message) => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', ...bad };
    expect(() => read(env)).toThrow(TracingConfigError);
    expect(() => read(env)).toThrow(message);
    expect(() => read(env)).toThrow(/^[^\n]+$/);
    expect(() => read(env)).not.toThrow(/s3cret/);
  });
});
