// Tracing settings from the standard OpenTelemetry environment variables, and nothing else: the operator renders a
// VirtualMCPServer's (or an endpoint's) telemetry settings into these same variables of the Deployment. Tracing is on
// only when an OTLP endpoint is named; a bad value is one clear error at start, never a silent default.
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

export type SamplerSetting =
  | { kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number };

export interface TracingConfig {
  /** Where spans go: the traces URL itself for HTTP (`…/v1/traces`), the collector's address for gRPC. */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
  sampler: SamplerSetting;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded (values are percent-encoded in the variable). */
  resourceAttributes: Record<string, string>;
}

export class TracingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TracingConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** The tracing settings, or undefined when tracing is off (no endpoint, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none). */
export function tracingConfigFromEnv(env: Env, defaultServiceName: string): TracingConfig | undefined {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const disabled = value('OTEL_SDK_DISABLED');
  if (disabled !== undefined && !['true', 'false'].includes(disabled.toLowerCase()))
    throw new TracingConfigError(`OTEL_SDK_DISABLED must be true or false, got ${JSON.stringify(disabled)}`);
  if (disabled?.toLowerCase() === 'true') return undefined;
  const exporter = value('OTEL_TRACES_EXPORTER');
  if (exporter === 'none') return undefined;
  if (exporter !== undefined && exporter !== 'otlp')
    throw new TracingConfigError(`OTEL_TRACES_EXPORTER must be otlp or none, got ${JSON.stringify(exporter)}`);

  const tracesEndpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (tracesEndpoint === undefined && endpoint === undefined) return undefined;

  const protocolName = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value('OTEL_EXPORTER_OTLP_PROTOCOL');
  const protocol = (protocolName ?? 'http/protobuf') as OtlpProtocol;
  if (!PROTOCOLS.includes(protocol))
    throw new TracingConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL must be one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(protocolName)}`,
    );

  let url: string;
  if (tracesEndpoint !== undefined) url = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint).href;
  else {
    const base = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint as string);
    // The spec: the signal's path is appended to the base endpoint for HTTP; gRPC takes the address as it is.
    url = protocol === 'grpc' ? base.href : `${base.href.replace(/\/+$/, '')}/v1/traces`;
  }

  // The exporter reads the headers itself (they may hold credentials, so they are checked here, never shown).
  checkHeaders('OTEL_EXPORTER_OTLP_HEADERS', value('OTEL_EXPORTER_OTLP_HEADERS'));
  checkHeaders('OTEL_EXPORTER_OTLP_TRACES_HEADERS', value('OTEL_EXPORTER_OTLP_TRACES_HEADERS'));

  return {
    url,
    protocol,
    serviceName: value('OTEL_SERVICE_NAME') ?? defaultServiceName,
    sampler: sampler(value('OTEL_TRACES_SAMPLER'), value('OTEL_TRACES_SAMPLER_ARG')),
    resourceAttributes: resourceAttributes(value('OTEL_RESOURCE_ATTRIBUTES')),
  };
}

function httpUrl(name: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TracingConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TracingConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(text)}`);
  if (url.username || url.password)
    throw new TracingConfigError(`${name} must not carry credentials in the URL (use OTEL_EXPORTER_OTLP_HEADERS)`);
  return url;
}

function sampler(name: string | undefined, arg: string | undefined): SamplerSetting {
  // The spec's default is parentbased_always_on.
  const kind = (name ?? 'parentbased_always_on') as (typeof SAMPLERS)[number];
  if (!SAMPLERS.includes(kind))
    throw new TracingConfigError(
      `OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(name)}`,
    );
  if (kind !== 'traceidratio' && kind !== 'parentbased_traceidratio') return { kind };
  if (arg === undefined) return { kind, ratio: 1 };
  const ratio = Number(arg);
  if (!/^\s*[0-9.eE+-]+\s*$/.test(arg) || !Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got ${JSON.stringify(arg)}`);
  return { kind, ratio };
}

/** `key1=value1,key2=value2`, values percent-encoded (the W3C Baggage octet rules). */
function resourceAttributes(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (key === '' || !/^[\x21-\x7e]+$/.test(key))
      throw new TracingConfigError(
        `OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, got ${JSON.stringify(pair)}`,
      );
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new TracingConfigError(`OTEL_RESOURCE_ATTRIBUTES: the value of ${key} is not valid percent-encoding`);
    }
  }
  return out;
}

/** `key=value` pairs separated by commas; a bad entry is named by position only (values may be secrets). */
function checkHeaders(name: string, text: string | undefined): void {
  if (text === undefined) return;
  for (const [i, pair] of text.split(',').entries()) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(pair.slice(0, eq).trim()))
      throw new TracingConfigError(
        `${name}: entry ${i + 1} is not a key=value header with a valid header name (values are not shown)`,
      );
  }
}

/**
 * The values of the OTLP header variables, as written and percent-decoded (the exporter decodes them): what an export
 * error must not repeat.
 */
export function otlpHeaderValues(env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    for (const pair of env[name]?.split(',') ?? []) {
      const eq = pair.indexOf('=');
      const raw = eq > 0 ? pair.slice(eq + 1).trim() : '';
      if (raw === '') continue;
      out.push(raw);
      try {
        const decoded = decodeURIComponent(raw);
        if (decoded !== raw) out.push(decoded);
      } catch {
        // Not percent-encoding: the exporter sends it as written.
      }
    }
  }
  return out;
}
