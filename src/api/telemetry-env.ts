// The OpenTelemetry environment of a gateway or proxy pod, from a `telemetry` block (VirtualMCPServer spec.telemetry,
// MCPRemoteEndpoint spec.proxyConfig.telemetry: ToolHive's telemetryConfig fields). The gateway's tracing is
// configured by the standard OTEL_* variables alone, so this is the whole contract between the CRDs and the pod.
// Header values from Secrets reach the pod as secretKeyRef variables that OTEL_EXPORTER_OTLP_HEADERS refers to as
// $(NAME), which the kubelet expands when it starts the container: no value is written into the pod template.
import { headerNameProblem } from './header-policy.ts';

export const OtelEnv = {
  endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  headers: 'OTEL_EXPORTER_OTLP_HEADERS',
  serviceName: 'OTEL_SERVICE_NAME',
  sampler: 'OTEL_TRACES_SAMPLER',
  samplerArg: 'OTEL_TRACES_SAMPLER_ARG',
  resourceAttributes: 'OTEL_RESOURCE_ATTRIBUTES',
} as const;

/** Prefix of the secretKeyRef variables holding sensitive header values; sorts before OTEL_*, which refers to them. */
export const OTEL_SECRET_HEADER_ENV_PREFIX = 'MCPRE_OTEL_HEADER_';

/** The telemetry block both CRDs share (generated as TelemetryConfig and VirtualMCPServerTelemetry). */
export interface TelemetrySettings {
  openTelemetry?: {
    enabled?: boolean;
    endpoint?: string;
    serviceName?: string;
    headers?: string[];
    sensitiveHeaders?: { name: string; secretKeyRef: { name: string; key: string } }[];
    resourceAttributes?: Record<string, string>;
    insecure?: boolean;
    tracing?: { enabled?: boolean; samplingRate?: string };
  };
}

export interface PodEnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } } | { fieldRef: { fieldPath: string } };
}

export interface TelemetryProblem {
  reason: 'TelemetryInvalid';
  message: string;
}

type Otel = NonNullable<TelemetrySettings['openTelemetry']>;

/** Tracing is exported only when both switches are on (ToolHive's semantics: enabled turns OpenTelemetry on). */
function tracingOn(t: TelemetrySettings | undefined): t is TelemetrySettings & { openTelemetry: Otel } {
  return t?.openTelemetry?.enabled === true && t.openTelemetry.tracing?.enabled === true;
}

/** What is wrong with a telemetry block that turns tracing on; `field` is its path in the object, for the messages. */
export function telemetryProblems(t: TelemetrySettings | undefined, field: string): TelemetryProblem[] {
  if (!tracingOn(t)) return [];
  const o = t.openTelemetry;
  const problems: string[] = [];
  const endpoint = otlpEndpoint(o);
  if ('problem' in endpoint) problems.push(`${field}.openTelemetry.endpoint ${endpoint.problem}`);
  const rate = o.tracing?.samplingRate ?? '0.05';
  if (!/^\d+(\.\d+)?$/.test(rate) || Number(rate) > 1)
    problems.push(`${field}.openTelemetry.tracing.samplingRate "${rate.slice(0, 20)}" is not a number from 0.0 to 1.0`);
  for (const h of o.headers ?? []) {
    if (!/^[^=,\s]+=[^,]*$/.test(h)) {
      const name = h.split('=')[0]?.slice(0, 64) ?? '';
      problems.push(
        `${field}.openTelemetry.headers item "${name}=..." is not key=value (a value may not hold a comma)`,
      );
    }
  }
  for (const h of o.sensitiveHeaders ?? []) {
    const bad = headerNameProblem(h.name);
    if (bad)
      problems.push(
        `${field}.openTelemetry.sensitiveHeaders header ${JSON.stringify(h.name.slice(0, 64))} ${bad.message}`,
      );
  }
  return problems.map((message) => ({ reason: 'TelemetryInvalid', message }));
}

/** The Secret keys the block's sensitive headers read, for the reconcile's references and existence checks. */
export function telemetrySecretRefs(t: TelemetrySettings | undefined): { name: string; key: string }[] {
  return tracingOn(t) ? (t.openTelemetry.sensitiveHeaders ?? []).map((h) => h.secretKeyRef) : [];
}

/** Sensitive headers whose Secret or key is missing (the pod could not start: its env names them). */
export function telemetrySecretProblems(
  t: TelemetrySettings | undefined,
  field: string,
  secrets: Readonly<Record<string, { keys: readonly string[] } | null | undefined>>,
): { reason: 'TelemetrySecretNotFound'; message: string }[] {
  return (tracingOn(t) ? (t.openTelemetry.sensitiveHeaders ?? []) : []).flatMap((h) => {
    const ref = h.secretKeyRef;
    const secret = secrets[ref.name];
    if (secret?.keys.includes(ref.key)) return [];
    const what = secret ? `has no key "${ref.key}"` : 'does not exist in this namespace';
    return [
      {
        reason: 'TelemetrySecretNotFound' as const,
        message: `Secret "${ref.name}" (${field}.openTelemetry.sensitiveHeaders ${h.name}) ${what}; create it with key "${ref.key}"`,
      },
    ];
  });
}

/**
 * The OTEL_* variables (and the secretKeyRef variables the headers refer to), or none when tracing is off. Call it
 * on a block without telemetryProblems: an invalid one renders nothing.
 */
export function otelEnv(t: TelemetrySettings | undefined, defaultServiceName: string): PodEnvVar[] {
  if (!tracingOn(t) || telemetryProblems(t, '').length > 0) return [];
  const o = t.openTelemetry;
  const endpoint = otlpEndpoint(o);
  if (!('url' in endpoint)) return [];
  const env: PodEnvVar[] = [
    { name: OtelEnv.endpoint, value: literal(endpoint.url) },
    // The OTLP/HTTP receiver (port 4318), as ToolHive's exporter uses it.
    { name: OtelEnv.protocol, value: 'http/protobuf' },
    { name: OtelEnv.serviceName, value: literal(o.serviceName || defaultServiceName) },
    // A caller's sampling decision is kept, so one trace is never cut in half at the gateway.
    { name: OtelEnv.sampler, value: 'parentbased_traceidratio' },
    { name: OtelEnv.samplerArg, value: String(Number(o.tracing?.samplingRate ?? '0.05')) },
  ];
  const attributes = Object.entries(o.resourceAttributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  if (attributes.length > 0) env.push({ name: OtelEnv.resourceAttributes, value: literal(attributes.join(',')) });
  const headers = (o.headers ?? []).map(literal);
  (o.sensitiveHeaders ?? []).forEach((h, i) => {
    const name = `${OTEL_SECRET_HEADER_ENV_PREFIX}${i}`;
    env.push({ name, valueFrom: { secretKeyRef: { name: h.secretKeyRef.name, key: h.secretKeyRef.key } } });
    headers.push(`${literal(h.name)}=$(${name})`);
  });
  if (headers.length > 0) env.push({ name: OtelEnv.headers, value: headers.join(',') });
  return env;
}

/** `host:port` (ToolHive's form) gets a scheme from `insecure`; an http(s) URL stays as written. */
function otlpEndpoint(o: Otel): { url: string } | { problem: string } {
  const raw = (o.endpoint ?? '').trim();
  if (raw === '') return { problem: 'is required when tracing is enabled, e.g. otel-collector.observability.svc:4318' };
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${o.insecure ? 'http' : 'https'}://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'is neither host:port nor an http(s) URL' };
  }
  if (url.username !== '' || url.password !== '')
    return { problem: 'may not carry credentials; put them in sensitiveHeaders (a Secret)' };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'must be host:port or an http(s) URL' };
  if (url.search !== '' || url.hash !== '') return { problem: 'may not have a query or fragment' };
  return { url: text.replace(/\/+$/, '') };
}

/** The kubelet expands $(NAME) in every env value and turns $$ into $: literal text keeps its dollars. */
function literal(text: string): string {
  return text.replaceAll('$', () => '$$');
}
