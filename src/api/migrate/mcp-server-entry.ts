// MCPServerEntry (THV-0055, and ToolHive's shipped v1beta1 kind) -> MCPRemoteEndpoint with type: direct, per the
// RFC's table "Migration: MCPServerEntry -> MCPRemoteEndpoint". An entry never had a pod, so nothing becomes
// proxyConfig; the only loss is ToolHive's SSRF switch, reported below.
import {
  type Conversion,
  type ConvertOptions,
  copyHeaderForward,
  copyNameRef,
  readGroupRef,
  readRemoteURL,
  readTransport,
} from './common-fields.ts';
import { type CopyContext, isPlainObject, reportUnknown } from './copy-by-shape.ts';
import { convertEnvelope, type SpecConversion } from './envelope.ts';
import type { Report } from './report.ts';

export const ALLOW_PRIVATE_ENDPOINT_REASON =
  'mcpre does not check remote URLs for private or cluster-internal addresses (ToolHive refused them unless this was true); limit where gateways and proxies may connect with the NetworkPolicy, and who may create endpoints with RBAC';

/** Spec keys the entry converter reads; anything else in spec is reported. */
const HANDLED = new Set([
  'remoteURL',
  'remoteUrl',
  'transport',
  'groupRef',
  'externalAuthConfigRef',
  'headerForward',
  'caBundleRef',
  'toolConfigRef',
]);

const ENTRY_REASONS: Record<string, string> = {
  'spec.allowPrivateEndpoint': ALLOW_PRIVATE_ENDPOINT_REASON,
};

export function convertMCPServerEntry(
  doc: Record<string, unknown>,
  report: Report,
  options: ConvertOptions,
): Conversion {
  return convertEnvelope(doc, report, options, (spec) => convertEntrySpec(spec, report, options));
}

function convertEntrySpec(spec: Record<string, unknown>, report: Report, options: ConvertOptions): SpecConversion {
  const ctx: CopyContext = { report, explain: (path) => ENTRY_REASONS[path] };
  const url = readRemoteURL(spec, report);
  if (url.error !== undefined || url.url === undefined) return { error: url.error ?? 'no remote URL' };
  const transport = readTransport(spec, report, {
    value: 'streamable-http',
    note: 'spec.transport is not set (MCPServerEntry requires it); used streamable-http: check that the remote speaks it, or set sse',
  });
  if (transport.error !== undefined || transport.transport === undefined) return { error: transport.error ?? '' };
  const out: Record<string, unknown> = {
    type: 'direct',
    remoteURL: url.url,
    transport: transport.transport,
    groupRef: readGroupRef(spec, report, options),
    externalAuthConfigRef: copyNameRef(spec, 'externalAuthConfigRef', ctx),
    headerForward: copyHeaderForward(spec, ctx),
    caBundleRef: convertCABundleRef(spec.caBundleRef, report),
    // Not a ToolHive MCPServerEntry field, but valid on MCPRemoteEndpoint: a hand-written entry that has it keeps it.
    toolConfigRef: copyNameRef(spec, 'toolConfigRef', ctx),
  };
  for (const key of Object.keys(spec)) {
    if (HANDLED.has(key) || spec[key] === null || spec[key] === undefined) continue;
    reportUnknown(ctx, `spec.${key}`);
  }
  return { spec: out };
}

/**
 * caBundleRef: `{name, key}` (RFC) or `{configMapRef: {name, key}}` (ToolHive v1beta1). An omitted key stays omitted:
 * both ToolHive and the MCPRemoteEndpoint CRD default it to ca.crt.
 */
export function convertCABundleRef(raw: unknown, report: Report): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    report.unmapped('spec.caBundleRef', 'it is not an object; set spec.caBundleRef: {name, key} by hand');
    return undefined;
  }
  const nested = isPlainObject(raw.configMapRef);
  const source = nested ? (raw.configMapRef as Record<string, unknown>) : raw;
  const base = nested ? 'spec.caBundleRef.configMapRef' : 'spec.caBundleRef';
  if (nested) {
    for (const key of Object.keys(raw)) {
      if (key !== 'configMapRef') report.unmapped(`spec.caBundleRef.${key}`, 'not part of a CA bundle reference');
    }
  }
  for (const key of Object.keys(source)) {
    if (key === 'name' || key === 'key' || source[key] === null || source[key] === undefined) continue;
    const reason =
      key === 'optional'
        ? 'an MCPRemoteEndpoint CA bundle is never optional: a missing ConfigMap or key makes CABundleValid False'
        : 'not part of a CA bundle reference';
    report.unmapped(`${base}.${key}`, reason);
  }
  if (typeof source.name !== 'string' || source.name === '') {
    report.unmapped(base, 'it names no ConfigMap, so it was left out; set spec.caBundleRef.name by hand');
    return undefined;
  }
  const out: Record<string, string> = { name: source.name };
  if (typeof source.key === 'string' && source.key !== '') out.key = source.key;
  return out;
}
