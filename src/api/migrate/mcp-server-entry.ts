// MCPServerEntry (THV-0055, and ToolHive's shipped v1beta1 kind) -> MCPRemoteEndpoint with type: direct, per the
// RFC's table "Migration: MCPServerEntry -> MCPRemoteEndpoint". An entry never had a pod, so nothing becomes
// proxyConfig; the only loss is ToolHive's SSRF switch, reported below.
import {
  type Conversion,
  type ConvertOptions,
  convertSharedFields,
  reportUnhandled,
  SHARED_FIELDS,
} from './common-fields.ts';
import type { CopyContext } from './copy-by-shape.ts';
import { convertEnvelope, type SpecConversion } from './envelope.ts';
import type { Report } from './report.ts';

export const ALLOW_PRIVATE_ENDPOINT_REASON =
  'mcpre does not check remote URLs for private or cluster-internal addresses (ToolHive refused them unless this was true); limit where gateways and proxies may connect with the NetworkPolicy, and who may create endpoints with RBAC';

/** Spec keys the entry converter reads; anything else in spec is reported. */
const HANDLED = new Set(SHARED_FIELDS);

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
  const shared = convertSharedFields(spec, ctx, options, {
    value: 'streamable-http',
    note: 'spec.transport is not set (MCPServerEntry requires it); used streamable-http: check that the remote speaks it, or set sse',
  });
  if ('error' in shared) return shared;
  reportUnhandled(spec, HANDLED, ctx);
  return { spec: { type: 'direct', ...shared.fields } };
}
