// The telemetry block as the pod's OTEL_* environment: what each field becomes, Secrets only by reference, and the
// problems that become conditions.
import { describe, expect, it } from 'vitest';
import {
  otelEnv,
  type TelemetrySettings,
  telemetryProblems,
  telemetrySecretProblems,
} from '../../../src/api/telemetry-env.ts';

const on = (otel: NonNullable<TelemetrySettings['openTelemetry']>): TelemetrySettings => ({
  openTelemetry: { enabled: true, tracing: { enabled: true }, ...otel },
});
const values = (t: TelemetrySettings) =>
  Object.fromEntries(otelEnv(t, 'gw').map((e) => [e.name, e.value ?? e.valueFrom]));

describe('OTEL_* environment from a telemetry block', () => {
  it('renders every field as its standard variable', () => {
    const t = on({
      endpoint: 'otel-collector.observability.svc:4318',
      insecure: true,
      serviceName: 'team-tools',
      headers: ['x-scope-orgid=tools'],
      sensitiveHeaders: [{ name: 'Authorization', secretKeyRef: { name: 'otel-auth', key: 'token' } }],
      resourceAttributes: { 'deployment.environment': 'prod', 'team.name': 'a b,c' },
      tracing: { enabled: true, samplingRate: '1.0' },
    });
    expect(telemetryProblems(t, 'spec.telemetry')).toEqual([]);
    expect(values(t)).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: 'team-tools',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team.name=a%20b%2Cc',
      MCPRE_OTEL_HEADER_0: { secretKeyRef: { name: 'otel-auth', key: 'token' } },
      OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=tools,Authorization=$(MCPRE_OTEL_HEADER_0)',
    });
  });

  it('defaults: https without insecure, the object name, 5% sampling; a URL endpoint stays as written', () => {
    expect(values(on({ endpoint: 'otlp.example.com' }))).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: 'gw',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
    });
    expect(values(on({ endpoint: 'http://otel:4318/', insecure: false })).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      'http://otel:4318',
    );
  });

  it('renders nothing unless both enabled and tracing.enabled are on', () => {
    expect(otelEnv(undefined, 'gw')).toEqual([]);
    expect(otelEnv({ openTelemetry: { enabled: true, endpoint: 'otel:4318' } }, 'gw')).toEqual([]);
    expect(otelEnv({ openTelemetry: { endpoint: 'otel:4318', tracing: { enabled: true } } }, 'gw')).toEqual([]);
    expect(telemetryProblems({ openTelemetry: { enabled: true, endpoint: '' } }, 'x')).toEqual([]);
  });

  it('keeps literal dollars literal (the kubelet expands $(NAME) in every value)', () => {
    const env = values(on({ endpoint: 'otel:4318', headers: ['x-a=$(HOME)'], serviceName: 'a$b' }));
    expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe('x-a=$$(HOME)');
    expect(env.OTEL_SERVICE_NAME).toBe('a$$b');
  });

  it('names each problem with its field', () => {
    const bad = on({
      endpoint: 'user:pw@otel:4318',
      headers: ['novalue', 'a=b,c'],
      sensitiveHeaders: [{ name: 'Bad Header', secretKeyRef: { name: 's', key: 'k' } }],
      tracing: { enabled: true, samplingRate: '1.5' },
    });
    const messages = telemetryProblems(bad, 'spec.telemetry').map((p) => p.message);
    expect(messages).toEqual([
      'spec.telemetry.openTelemetry.endpoint may not carry credentials; put them in sensitiveHeaders (a Secret)',
      'spec.telemetry.openTelemetry.tracing.samplingRate "1.5" is not a number from 0.0 to 1.0',
      'spec.telemetry.openTelemetry.headers item "novalue=..." is not key=value (a value may not hold a comma)',
      'spec.telemetry.openTelemetry.headers item "a=..." is not key=value (a value may not hold a comma)',
      `spec.telemetry.openTelemetry.sensitiveHeaders header "Bad Header" is not a valid HTTP header name (1 to 255 letters, digits and !#$%&'*+-.^_\`|~)`,
    ]);
    expect(messages.join(' ')).not.toContain('pw');
    expect(otelEnv(bad, 'gw')).toEqual([]);
    expect(telemetryProblems(on({}), 'f').map((p) => p.message)).toEqual([
      'f.openTelemetry.endpoint is required when tracing is enabled, e.g. otel-collector.observability.svc:4318',
    ]);
    expect(telemetryProblems(on({ endpoint: 'ftp://otel:21' }), 'f')[0]?.message).toBe(
      'f.openTelemetry.endpoint must be host:port or an http(s) URL',
    );
  });

  it('reports a sensitive header whose Secret or key is missing', () => {
    const t = on({
      endpoint: 'otel:4318',
      sensitiveHeaders: [
        { name: 'Authorization', secretKeyRef: { name: 'otel-auth', key: 'token' } },
        { name: 'X-Key', secretKeyRef: { name: 'gone', key: 'k' } },
      ],
    });
    expect(telemetrySecretProblems(t, 'spec.telemetry', { 'otel-auth': { keys: ['other'] } })).toEqual([
      {
        reason: 'TelemetrySecretNotFound',
        message:
          'Secret "otel-auth" (spec.telemetry.openTelemetry.sensitiveHeaders Authorization) has no key "token"; create it with key "token"',
      },
      {
        reason: 'TelemetrySecretNotFound',
        message:
          'Secret "gone" (spec.telemetry.openTelemetry.sensitiveHeaders X-Key) does not exist in this namespace; create it with key "k"',
      },
    ]);
  });
});
