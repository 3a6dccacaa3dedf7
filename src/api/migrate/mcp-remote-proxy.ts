// MCPRemoteProxy -> MCPRemoteEndpoint with type: proxy, per the RFC's table "Migration: MCPRemoteProxy ->
// MCPRemoteEndpoint": shared fields stay at the top of spec, everything about the proxy pod moves under
// proxyConfig. Both shapes are accepted field by field (not by apiVersion, since ToolHive's v1alpha1 is now an alias
// of v1beta1): the RFC era (remoteURL, string groupRef, inline oidcConfig/telemetry, deprecated port) and ToolHive
// v1beta1 (remoteUrl, groupRef {name}, oidcConfigRef/telemetryConfigRef to shared objects, and pod-level fields that
// have no MCPRemoteEndpoint equivalent).
import { isPlainObject } from '../plain-object.ts';
import {
  type Conversion,
  type ConvertOptions,
  convertSharedFields,
  reportUnhandled,
  SHARED_FIELDS,
} from './common-fields.ts';
import { type CopyContext, copyByShape, orderByShape } from './copy-by-shape.ts';
import { convertEnvelope, type SpecConversion } from './envelope.ts';
import { EMPTY_INDEX, type InputIndex } from './input-index.ts';
import { ALLOW_PRIVATE_ENDPOINT_REASON } from './mcp-server-entry.ts';
import { convertInlineOIDC, convertOIDCReference, unauthenticatedProxyOIDC } from './oidc-config.ts';
import type { Report } from './report.ts';
import { fieldsOf, PROXY_CONFIG_SHAPE, type Shape } from './target-shape.ts';
import { convertInlineTelemetry, convertTelemetryReference } from './telemetry-config.ts';

const PROXY_FIELDS = fieldsOf(PROXY_CONFIG_SHAPE);

/** Proxy-pod fields whose name and shape are the same under proxyConfig. */
const COPIED_TO_PROXY_CONFIG = [
  'authzConfig',
  'audit',
  'resources',
  'serviceAccount',
  'sessionAffinity',
  'trustProxyHeaders',
  'endpointPrefix',
  'resourceOverrides',
] as const;

const HANDLED = new Set<string>([
  ...SHARED_FIELDS,
  'port',
  'proxyPort',
  'oidcConfig',
  'oidcConfigRef',
  'telemetry',
  'telemetryConfigRef',
  ...COPIED_TO_PROXY_CONFIG,
]);

const PROXY_REASONS: Record<string, string> = {
  'spec.allowPrivateEndpoint': ALLOW_PRIVATE_ENDPOINT_REASON,
  'spec.authServerRef':
    'the proxy does not host an embedded OAuth authorization server; have clients get tokens from your IdP and validate them with proxyConfig.oidcConfig (type inline)',
  'spec.authzConfigRef':
    "MCPRemoteEndpoint takes Cedar policies inline or from a ConfigMap; copy the policies of the MCPAuthzConfig into proxyConfig.authzConfig (type inline or configMap). ToolHive did not yet enforce authzConfigRef on MCPRemoteProxy, so leaving it out keeps today's behaviour",
  'spec.podTemplateSpec':
    'the operator builds the proxy pod itself; labels, annotations and env go in proxyConfig.resourceOverrides.proxyDeployment, other pod settings (volumes, node selection, security context) cannot be set',
  'spec.replicas':
    'the operator runs one proxy replica per endpoint (sessions live in the pod); scaling the proxy is not supported',
  'spec.sessionStorage':
    'the proxy keeps sessions in memory in its single replica; there is no Redis session store to configure',
  'spec.authzConfig.groupClaimName':
    'the proxy reads groups from the default claims (groups, roles, cognito:groups); a custom claim name cannot be set',
  'spec.authzConfig.roleClaimName': 'the proxy does not map a separate role claim; put roles in a group claim it reads',
  'spec.authzConfig.groupEntityType':
    'the proxy uses the default Cedar group entity type (THVGroup); write policies against it',
  'spec.authzConfig.inline.primaryUpstreamProvider':
    'it was a no-op on MCPRemoteProxy (no embedded auth server), so nothing changes by leaving it out',
  'spec.resourceOverrides.proxyDeployment.imagePullSecrets':
    "the proxy Deployment has no image pull secrets setting; attach them to the proxy's ServiceAccount (proxyConfig.serviceAccount) instead",
};

export interface ProxyConvertOptions extends ConvertOptions {
  /** The other objects of the input, for inlining MCPOIDCConfig and MCPTelemetryConfig references. */
  index?: InputIndex;
}

export function convertMCPRemoteProxy(
  doc: Record<string, unknown>,
  report: Report,
  options: ProxyConvertOptions,
): Conversion {
  const namespace =
    isPlainObject(doc.metadata) && typeof doc.metadata.namespace === 'string' ? doc.metadata.namespace : '';
  return convertEnvelope(doc, report, options, (spec) =>
    convertProxySpec(spec, report, options, namespace, options.index ?? EMPTY_INDEX),
  );
}

function convertProxySpec(
  spec: Record<string, unknown>,
  report: Report,
  options: ConvertOptions,
  namespace: string,
  index: InputIndex,
): SpecConversion {
  const ctx: CopyContext = { report, explain: (path) => PROXY_REASONS[path] };
  // MCPRemoteProxy defaults transport to streamable-http, so an absent transport converts without a note.
  const shared = convertSharedFields(spec, ctx, options, { value: 'streamable-http' });
  if ('error' in shared) return shared;
  const proxyConfig = convertProxyConfig(spec, ctx, namespace, index);
  reportUnhandled(spec, HANDLED, ctx);
  return { spec: { type: 'proxy', ...shared.fields, proxyConfig } };
}

function convertProxyConfig(
  spec: Record<string, unknown>,
  ctx: CopyContext,
  namespace: string,
  index: InputIndex,
): Record<string, unknown> {
  const proxy: Record<string, unknown> = { oidcConfig: convertOIDC(spec, ctx, namespace, index) };
  for (const field of COPIED_TO_PROXY_CONFIG) {
    const shape = PROXY_FIELDS[field] as Shape;
    const copied = copyByShape(spec[field], shape, `spec.${field}`, ctx);
    if (copied !== undefined) proxy[field] = copied;
  }
  const port = convertPort(spec, ctx);
  if (port !== undefined) proxy.proxyPort = port;
  const telemetry = convertTelemetry(spec, ctx, namespace, index);
  if (telemetry !== undefined) proxy.telemetry = telemetry;
  return orderByShape(proxy, PROXY_FIELDS);
}

function convertOIDC(
  spec: Record<string, unknown>,
  ctx: CopyContext,
  namespace: string,
  index: InputIndex,
): Record<string, unknown> {
  const chosen = inlineOrReference(spec, 'oidcConfig', 'oidcConfigRef', ctx);
  if (chosen?.from === 'inline') return convertInlineOIDC(chosen.value, ctx);
  if (chosen?.from === 'reference') {
    return convertOIDCReference({ path: 'spec.oidcConfigRef', raw: chosen.value, namespace }, index, ctx);
  }
  return unauthenticatedProxyOIDC(ctx.report);
}

/** proxyPort, or the RFC era's deprecated `port` when proxyPort is unset (ToolHive's GetProxyPort order). */
function convertPort(spec: Record<string, unknown>, ctx: CopyContext): unknown {
  const shape = PROXY_FIELDS.proxyPort as Shape;
  const hasProxyPort = spec.proxyPort !== undefined && spec.proxyPort !== null && spec.proxyPort !== 0;
  const hasPort = spec.port !== undefined && spec.port !== null && spec.port !== 0;
  if (hasProxyPort && hasPort && spec.port !== spec.proxyPort) {
    ctx.report.unmapped('spec.port', `it is deprecated and spec.proxyPort (${String(spec.proxyPort)}) wins; remove it`);
  }
  if (hasProxyPort) return copyByShape(spec.proxyPort, shape, 'spec.proxyPort', ctx);
  if (hasPort) return copyByShape(spec.port, shape, 'spec.port', ctx);
  return undefined;
}

function convertTelemetry(
  spec: Record<string, unknown>,
  ctx: CopyContext,
  namespace: string,
  index: InputIndex,
): unknown {
  const chosen = inlineOrReference(spec, 'telemetry', 'telemetryConfigRef', ctx);
  if (chosen?.from === 'inline') return convertInlineTelemetry(chosen.value, ctx);
  if (chosen?.from === 'reference') return convertTelemetryReference(chosen.value, namespace, index, ctx);
  return undefined;
}

/**
 * A setting given inline or by reference to a shared object: the inline one wins (ToolHive's order) and a reference
 * set beside it is reported; undefined when neither is set.
 */
function inlineOrReference(
  spec: Record<string, unknown>,
  inlineKey: string,
  refKey: string,
  ctx: CopyContext,
): { from: 'inline' | 'reference'; value: unknown } | undefined {
  const inline = spec[inlineKey];
  const ref = spec[refKey];
  const hasInline = inline !== undefined && inline !== null;
  const hasRef = ref !== undefined && ref !== null;
  if (hasInline && hasRef) {
    ctx.report.unmapped(`spec.${refKey}`, `spec.${inlineKey} is also set and wins; remove one of them`);
  }
  if (hasInline) return { from: 'inline', value: inline };
  if (hasRef) return { from: 'reference', value: ref };
  return undefined;
}
