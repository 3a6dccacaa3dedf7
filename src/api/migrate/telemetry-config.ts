// proxyConfig.telemetry from an MCPRemoteProxy: the RFC-era inline `spec.telemetry` copies straight across;
// ToolHive v1beta1's `spec.telemetryConfigRef` to a shared MCPTelemetryConfig is inlined when that object is in the
// input (its header map becomes the CRD's `key=value` list), and reported otherwise.
import { isPlainObject } from '../plain-object.ts';
import { type CopyContext, copyByShape, copyObject, orderByShape } from './copy-by-shape.ts';
import type { InputIndex } from './input-index.ts';
import { fieldsOf, TELEMETRY_SHAPE } from './target-shape.ts';

const TELEMETRY_FIELDS = fieldsOf(TELEMETRY_SHAPE);
const OTEL_FIELDS = fieldsOf(TELEMETRY_FIELDS.openTelemetry ?? TELEMETRY_SHAPE);

const TELEMETRY_REASONS: [suffix: string, reason: string][] = [
  ['.openTelemetry.useLegacyAttributes', 'the proxy emits one set of attribute names; there is nothing to switch'],
  [
    '.openTelemetry.caBundleRef',
    'the proxy cannot mount a CA bundle for the OTLP endpoint; use a collector whose certificate the proxy image trusts, or insecure: true inside the cluster',
  ],
];

function explainTelemetry(path: string): string | undefined {
  return TELEMETRY_REASONS.find(([suffix]) => path.endsWith(suffix))?.[1];
}

/** RFC-era inline `spec.telemetry`: the same shape as proxyConfig.telemetry. */
export function convertInlineTelemetry(raw: unknown, ctx: CopyContext): unknown {
  return copyByShape(raw, TELEMETRY_SHAPE, 'spec.telemetry', {
    ...ctx,
    explain: (p) => explainTelemetry(p) ?? ctx.explain?.(p),
  });
}

/** ToolHive v1beta1 `spec.telemetryConfigRef: {name, serviceName}`. */
export function convertTelemetryReference(
  raw: unknown,
  namespace: string,
  index: InputIndex,
  ctx: CopyContext,
): Record<string, unknown> | undefined {
  const path = 'spec.telemetryConfigRef';
  if (!isPlainObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
    ctx.report.unmapped(path, 'it names no MCPTelemetryConfig; set proxyConfig.telemetry by hand');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'name' && key !== 'serviceName' && raw[key] !== null) {
      ctx.report.unmapped(`${path}.${key}`, 'not part of an MCPTelemetryConfig reference');
    }
  }
  const config = index.find('MCPTelemetryConfig', namespace, raw.name);
  if (!config) {
    ctx.report.unmapped(
      path,
      `MCPRemoteEndpoint takes telemetry settings inline and MCPTelemetryConfig ${raw.name} is not in the input, so the endpoint has no telemetry; add it to the input (kubectl get mcptelemetryconfig ${raw.name} -o yaml) and rerun, or write proxyConfig.telemetry by hand`,
    );
    return undefined;
  }
  const configPath = `MCPTelemetryConfig/${raw.name}.spec`;
  const configCtx: CopyContext = { ...ctx, explain: (p) => explainTelemetry(p) ?? ctx.explain?.(p) };
  const spec = isPlainObject(config.spec) ? config.spec : {};
  let otelSource = spec.openTelemetry;
  if (isPlainObject(otelSource)) {
    const { headers, ...rest } = otelSource;
    otelSource = rest;
    if (headers !== undefined && headers !== null) {
      if (isPlainObject(headers)) {
        const list: string[] = [];
        for (const k of Object.keys(headers).sort()) {
          const v = headers[k];
          if (typeof v === 'string') list.push(`${k}=${v}`);
          else if (v !== null)
            ctx.report.unmapped(`${configPath}.openTelemetry.headers.${k}`, 'the value is not a string');
        }
        if (list.length > 0) otelSource = { ...rest, headers: list };
      } else {
        otelSource = { ...rest, headers };
      }
    }
  }
  const copied = copyObject({ ...spec, openTelemetry: otelSource }, TELEMETRY_FIELDS, configPath, configCtx) ?? {};
  if (typeof raw.serviceName === 'string' && raw.serviceName !== '') {
    const otel = isPlainObject(copied.openTelemetry) ? copied.openTelemetry : {};
    copied.openTelemetry = orderByShape({ ...otel, serviceName: raw.serviceName }, OTEL_FIELDS);
  }
  ctx.report.note(
    `inlined MCPTelemetryConfig ${raw.name} into proxyConfig.telemetry; later edits to it no longer affect this endpoint`,
  );
  return Object.keys(copied).length > 0 ? orderByShape(copied, TELEMETRY_FIELDS) : undefined;
}
