// proxyConfig.oidcConfig from an MCPRemoteProxy, in its three forms: the RFC-era inline `spec.oidcConfig`, ToolHive
// v1beta1's `spec.oidcConfigRef` to a shared MCPOIDCConfig (inlined when that object is in the input), or nothing
// at all (ToolHive then ran the proxy unauthenticated, which MCPRemoteEndpoint type proxy cannot express).
import { isPlainObject } from '../plain-object.ts';
import { type CopyContext, copyByShape, copyObject, orderByShape } from './copy-by-shape.ts';
import type { InputIndex } from './input-index.ts';
import type { Report } from './report.ts';
import { fieldsOf, OIDC_CONFIG_SHAPE } from './target-shape.ts';

const OIDC_FIELDS = fieldsOf(OIDC_CONFIG_SHAPE);
const KUBERNETES_FIELDS = fieldsOf(OIDC_FIELDS.kubernetes ?? OIDC_CONFIG_SHAPE);
const INLINE_FIELDS = fieldsOf(OIDC_FIELDS.inline ?? OIDC_CONFIG_SHAPE);

/** The stand-in when the real settings cannot be known: fail closed, accepting only this cluster's SA tokens. */
export const PLACEHOLDER_OIDC = { type: 'kubernetes' } as const;

// Older ToolHive releases spelled a few OIDC keys with upper-case acronyms.
const KEY_ALIASES: Record<string, string> = {
  jwksURL: 'jwksUrl',
  introspectionURL: 'introspectionUrl',
  clientID: 'clientId',
};

/** Reasons for OIDC fields without an equivalent, matched against the end of the source path. */
const OIDC_REASONS: [suffix: string, reason: string][] = [
  [
    '.inline.clientSecret',
    'a plaintext client secret is not carried over; put it in a Secret and set proxyConfig.oidcConfig.inline.clientSecretRef',
  ],
  [
    '.protectedResourceAllowPrivateIP',
    'the proxy has one switch for private IPs on OIDC requests, proxyConfig.oidcConfig.inline.jwksAllowPrivateIP (ToolHive allowed private IPs for every OIDC request when either switch was true); set it if the issuer is internal',
  ],
  [
    '.inline.scopes',
    'the proxy advertises the default scope (openid) in its protected-resource metadata; scopes cannot be set',
  ],
  [
    '.caBundleRef',
    'the proxy cannot mount a CA bundle for the OIDC issuer; proxyConfig.oidcConfig.inline.thvCABundlePath can name a CA file that already exists in the proxy image',
  ],
];

export function explainOIDC(path: string): string | undefined {
  return OIDC_REASONS.find(([suffix]) => path.endsWith(suffix))?.[1];
}

/** RFC-era inline `spec.oidcConfig` (ToolHive's OIDCConfigRef: type kubernetes | configMap | inline). */
export function convertInlineOIDC(raw: unknown, ctx: CopyContext): Record<string, unknown> {
  const path = 'spec.oidcConfig';
  const source = isPlainObject(raw) ? withAliases(raw, path, ctx) : raw;
  const copied = copyByShape(source, OIDC_CONFIG_SHAPE, path, {
    ...ctx,
    explain: (p) => explainOIDC(p) ?? ctx.explain?.(p),
  });
  const out = isPlainObject(copied) ? copied : {};
  if (out.type === undefined) {
    if (isPlainObject(source) && source.type !== undefined && source.type !== null) {
      // The type was reported as unusable; falling back to the default would silently change who may call the proxy.
      ctx.report.note(
        `proxyConfig.oidcConfig is the placeholder {type: kubernetes} because spec.oidcConfig.type was unusable`,
      );
      return { ...PLACEHOLDER_OIDC };
    }
    return { type: 'kubernetes', ...out };
  }
  return out;
}

export interface OIDCReference {
  path: string;
  raw: unknown;
  namespace: string;
}

/** ToolHive v1beta1 `spec.oidcConfigRef: {name, audience, scopes, resourceUrl}` to a shared MCPOIDCConfig. */
export function convertOIDCReference(ref: OIDCReference, index: InputIndex, ctx: CopyContext): Record<string, unknown> {
  const { report } = ctx;
  if (!isPlainObject(ref.raw) || typeof ref.raw.name !== 'string' || ref.raw.name === '') {
    report.unmapped(
      ref.path,
      'it names no MCPOIDCConfig; proxyConfig.oidcConfig is the placeholder {type: kubernetes}: set it by hand',
    );
    return { ...PLACEHOLDER_OIDC };
  }
  const refName = ref.raw.name;
  for (const key of Object.keys(ref.raw)) {
    if (['name', 'audience', 'scopes', 'resourceUrl'].includes(key) || ref.raw[key] === null) continue;
    report.unmapped(`${ref.path}.${key}`, 'not part of an MCPOIDCConfig reference');
  }
  if (Array.isArray(ref.raw.scopes) && ref.raw.scopes.length > 0) {
    report.unmapped(
      `${ref.path}.scopes`,
      'the proxy advertises the default scope (openid) in its protected-resource metadata; scopes cannot be set',
    );
  }
  const config = index.find('MCPOIDCConfig', ref.namespace, refName);
  if (!config) {
    report.unmapped(
      ref.path,
      `MCPRemoteEndpoint takes OIDC settings inline and MCPOIDCConfig ${refName} is not in the input, so proxyConfig.oidcConfig is the placeholder {type: kubernetes} (only this cluster's service-account tokens); add the MCPOIDCConfig to the input (kubectl get mcpoidcconfig ${refName} -o yaml) and rerun, or write proxyConfig.oidcConfig by hand`,
    );
    return { ...PLACEHOLDER_OIDC };
  }
  const configPath = `MCPOIDCConfig/${refName}.spec`;
  const configCtx: CopyContext = { ...ctx, explain: (p) => explainOIDC(p) ?? ctx.explain?.(p) };
  const spec = isPlainObject(config.spec) ? config.spec : {};
  const out: Record<string, unknown> = {};
  if (typeof ref.raw.resourceUrl === 'string' && ref.raw.resourceUrl !== '') out.resourceUrl = ref.raw.resourceUrl;
  const audience = typeof ref.raw.audience === 'string' && ref.raw.audience !== '' ? ref.raw.audience : undefined;
  for (const key of Object.keys(spec)) {
    if (!['type', 'kubernetesServiceAccount', 'inline'].includes(key) && spec[key] !== null) {
      report.unmapped(`${configPath}.${key}`, 'not part of an MCPOIDCConfig that mcpre migrate knows');
    }
  }
  if (spec.type === 'kubernetesServiceAccount') {
    const sub = withAliases(spec.kubernetesServiceAccount ?? {}, `${configPath}.kubernetesServiceAccount`, configCtx);
    const kubernetes = copyObject(sub, KUBERNETES_FIELDS, `${configPath}.kubernetesServiceAccount`, configCtx) ?? {};
    if (audience) kubernetes.audience = audience;
    report.note(
      `inlined MCPOIDCConfig ${refName} into proxyConfig.oidcConfig; later edits to it no longer affect this endpoint`,
    );
    return { type: 'kubernetes', ...out, kubernetes: orderByShape(kubernetes, KUBERNETES_FIELDS) };
  }
  if (spec.type === 'inline') {
    const sub = withAliases(spec.inline ?? {}, `${configPath}.inline`, configCtx);
    const inline = copyObject(sub, INLINE_FIELDS, `${configPath}.inline`, configCtx) ?? {};
    if (audience) inline.audience = audience;
    if (typeof inline.issuer !== 'string') {
      report.unmapped(
        `${configPath}.inline`,
        'it has no issuer, so proxyConfig.oidcConfig is the placeholder {type: kubernetes}; set the issuer by hand',
      );
      return { ...PLACEHOLDER_OIDC };
    }
    report.note(
      `inlined MCPOIDCConfig ${refName} into proxyConfig.oidcConfig; later edits to it no longer affect this endpoint`,
    );
    return { type: 'inline', ...out, inline: orderByShape(inline, INLINE_FIELDS) };
  }
  report.unmapped(
    `${configPath}.type`,
    `type ${JSON.stringify(spec.type)} is not kubernetesServiceAccount or inline, so proxyConfig.oidcConfig is the placeholder {type: kubernetes}; set it by hand`,
  );
  return { ...PLACEHOLDER_OIDC };
}

/** Neither oidcConfig nor oidcConfigRef: ToolHive ran this proxy unauthenticated. */
export function unauthenticatedProxyOIDC(report: Report): Record<string, unknown> {
  report.note(
    'neither spec.oidcConfig nor spec.oidcConfigRef is set, so the MCPRemoteProxy accepted unauthenticated requests; an MCPRemoteEndpoint of type proxy always validates incoming tokens, so proxyConfig.oidcConfig is {type: kubernetes} (this cluster\'s service-account tokens, audience "toolhive"). If the proxy only fronted a public remote for a gateway, consider type: direct instead',
  );
  return { ...PLACEHOLDER_OIDC };
}

/** Renames old-style keys (jwksURL) in the object and its kubernetes/inline children; a clash is reported. */
function withAliases(value: unknown, path: string, ctx: CopyContext): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const canonical = KEY_ALIASES[key];
    const renamed = canonical ?? key;
    if (canonical && value[canonical] !== undefined && value[canonical] !== null) {
      ctx.report.unmapped(`${path}.${key}`, `${canonical} is also set and wins; remove one of them`);
      continue;
    }
    out[renamed] = key === 'kubernetes' || key === 'inline' ? withAliases(v, `${path}.${key}`, ctx) : v;
  }
  return out;
}
