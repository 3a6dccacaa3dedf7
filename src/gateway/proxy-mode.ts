// `mcpre gateway --proxy-mode`: the proxy pod of a `type: proxy` MCPRemoteEndpoint. The operator configures it only
// through environment variables (the ProxyEnv contract in src/api/endpoint/proxy-objects.ts); this file turns them
// into an ordinary gateway config with one backend whose names are passed through unprefixed. Secret values are in
// mounted files the variables name by path; the gateway re-reads them when they change. Whatever the pod is asked
// to enforce and cannot (an auth type it lacks, an authz policy file it cannot read) stops it with a clear message:
// a proxy must never serve with less protection than its endpoint declares.

import { ProxyEnv } from '../api/endpoint/proxy-objects.ts';
import type { AuthzConfig, GatewayConfigInput, IncomingAuthConfig, OutgoingAuthConfig } from '../api/gateway/config.ts';
import { GatewayConfigError } from '../api/gateway/config.ts';

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ProxyModeSettings {
  config: GatewayConfigInput;
  port: number;
  namespace: string;
  endpointName: string;
  /** MCPToolConfig to read from the API before serving. */
  toolConfigName: string | undefined;
  /** Settings that are accepted but have no effect in this build, to log once at startup. */
  ignored: string[];
}

export interface ProxyModeSources {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

export function proxyModeSettings({ env, readFile }: ProxyModeSources): ProxyModeSettings {
  const required = (name: string) => {
    const value = env[name];
    if (!value)
      throw new GatewayConfigError(`--proxy-mode needs the environment variable ${name} (set by the operator)`);
    return value;
  };
  const json = <T>(name: string): T | undefined => {
    const value = env[name];
    if (!value) return undefined;
    try {
      return JSON.parse(value) as T;
    } catch {
      throw new GatewayConfigError(`${name} is not valid JSON`);
    }
  };

  const [namespace, endpointName] = required(ProxyEnv.endpoint).split('/') as [string, string | undefined];
  if (!endpointName) throw new GatewayConfigError(`${ProxyEnv.endpoint} must be <namespace>/<name>`);
  const port = Number(env[ProxyEnv.port] ?? 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new GatewayConfigError(`${ProxyEnv.port} is not a port`);

  // fromEnv (values in environment variables, which do not rotate) is what operators before file mounts wrote.
  const headers = json<{
    plaintext?: Record<string, string>;
    fromFile?: Record<string, string>;
    fromEnv?: Record<string, string>;
  }>(ProxyEnv.headers);
  const backend = {
    name: endpointName,
    url: required(ProxyEnv.remoteURL),
    transport: env[ProxyEnv.transport] ?? 'streamable-http',
    // The proxy pod calls the remote itself, and runs as one replica of its own Deployment.
    type: 'direct',
    headers: headers?.plaintext ?? {},
    headerFiles: headers?.fromFile ?? {},
    headerEnvVars: headers?.fromEnv ?? {},
    ...(env[ProxyEnv.caBundlePath] ? { caBundlePath: env[ProxyEnv.caBundlePath] } : {}),
    auth: outgoingAuth(json<Record<string, unknown>>(ProxyEnv.externalAuth)),
  };

  const ignored: string[] = [];
  if (env[ProxyEnv.endpointPrefix]) ignored.push(`${ProxyEnv.endpointPrefix} (the MCP endpoint stays /mcp)`);
  // Tracing is configured by the standard OTEL_* variables the operator renders from proxyConfig.telemetry
  // (src/api/telemetry-env.ts), which the gateway's tracing reads itself; /metrics serves Prometheus.
  // Audit lines are always written, one per backend call; the setting cannot turn them off.

  const authz = authzConfig(json<Record<string, unknown>>(ProxyEnv.authz), readFile);
  const config: GatewayConfigInput = {
    name: endpointName,
    backends: [backend as NonNullable<GatewayConfigInput['backends']>[number]],
    // One backend: its names pass through as they are.
    aggregation: { conflictResolution: 'manual' },
    incomingAuth: incomingAuth(json<OidcEnv>(ProxyEnv.oidc), namespace, readFile, ignored),
    readiness: 'all',
    ...(authz ? { authz } : {}),
  };
  return { config, port, namespace, endpointName, toolConfigName: env[ProxyEnv.toolConfigRef] || undefined, ignored };
}

function outgoingAuth(auth: Record<string, unknown> | undefined): OutgoingAuthConfig {
  if (!auth) return { type: 'unauthenticated' };
  const { name, type, ...rest } = auth as { name?: string; type?: string } & Record<string, unknown>;
  switch (type) {
    case 'unauthenticated':
      return { type };
    case 'headerInjection':
      return {
        type,
        headerName: String(rest.headerName),
        ...(rest.valueFile ? { valueFile: String(rest.valueFile) } : {}),
        ...(rest.valueEnv ? { valueEnv: String(rest.valueEnv) } : {}),
      };
    case 'tokenExchange': {
      const te = rest as Record<string, unknown>;
      return {
        type,
        tokenUrl: String(te.tokenUrl),
        audience: String(te.audience),
        ...(te.clientId ? { clientId: String(te.clientId) } : {}),
        ...(te.clientSecretFile ? { clientSecretFile: String(te.clientSecretFile) } : {}),
        ...(te.clientSecretEnv ? { clientSecretEnv: String(te.clientSecretEnv) } : {}),
        ...(Array.isArray(te.scopes) ? { scopes: te.scopes.map(String) } : {}),
        ...(te.resource ? { resource: String(te.resource) } : {}),
        ...(te.subjectTokenType ? { subjectTokenType: String(te.subjectTokenType) } : {}),
      };
    }
    default:
      throw new GatewayConfigError(
        `MCPExternalAuthConfig ${name ?? '?'}: outgoing auth type ${String(type)} is not supported by the mcpre proxy`,
      );
  }
}

interface OidcSettings {
  issuer?: string;
  audience?: string;
  jwksUrl?: string;
  introspectionUrl?: string;
  thvCABundlePath?: string;
  jwksAuthTokenPath?: string;
}

interface OidcEnv {
  type?: 'kubernetes' | 'configMap' | 'inline';
  kubernetes?: OidcSettings & { serviceAccount?: string; namespace?: string; useClusterAuth?: boolean };
  inline?: OidcSettings;
  configMap?: { file?: string };
}

function incomingAuth(
  oidc: OidcEnv | undefined,
  namespace: string,
  readFile: (path: string) => string,
  ignored: string[],
): IncomingAuthConfig | { type: 'anonymous' } {
  // No oidcConfig: ToolHive's proxy runs unauthenticated then; the CRD requires one for proxies, so this is rare.
  if (!oidc) return { type: 'anonymous' };
  const type = oidc.type ?? 'kubernetes';
  if (type === 'kubernetes') {
    const k = oidc.kubernetes ?? {};
    // Empty means unset, as the CRD's URL rule on these fields allows.
    const issuer = k.issuer || 'https://kubernetes.default.svc';
    const clusterAuth = k.useClusterAuth ?? true;
    if (k.introspectionUrl) ignored.push('oidcConfig.kubernetes.introspectionUrl (tokens are validated as JWTs)');
    return {
      type: 'oidc',
      issuer,
      audience: k.audience ?? 'toolhive',
      jwksUrl: k.jwksUrl || `${issuer.replace(/\/$/, '')}/openid/v1/jwks`,
      clockToleranceSeconds: 30,
      ...(k.serviceAccount
        ? { allowedSubjects: [`system:serviceaccount:${k.namespace || namespace}:${k.serviceAccount}`] }
        : {}),
      ...(clusterAuth
        ? { jwksAuthTokenPath: `${serviceAccountDir}/token`, caBundlePath: `${serviceAccountDir}/ca.crt` }
        : {}),
    } as IncomingAuthConfig;
  }
  let settings: OidcSettings | undefined;
  if (type === 'inline') settings = oidc.inline;
  else {
    const file = oidc.configMap?.file;
    if (!file) throw new GatewayConfigError('oidcConfig.configMap: the operator did not name the mounted file');
    try {
      settings = JSON.parse(readFile(file)) as OidcSettings;
    } catch (err) {
      throw new GatewayConfigError(`oidcConfig.configMap: ${file} cannot be read as JSON: ${(err as Error).message}`);
    }
  }
  if (!settings?.issuer) throw new GatewayConfigError(`oidcConfig.${type}: issuer is required`);
  // Without an audience any token of the issuer, for any service, would be accepted.
  if (!settings.audience) throw new GatewayConfigError(`oidcConfig.${type}: audience is required by the mcpre proxy`);
  if (settings.introspectionUrl) ignored.push(`oidcConfig.${type}.introspectionUrl (tokens are validated as JWTs)`);
  return {
    type: 'oidc',
    issuer: settings.issuer,
    audience: settings.audience,
    clockToleranceSeconds: 30,
    ...(settings.jwksUrl ? { jwksUrl: settings.jwksUrl } : {}),
    ...(settings.thvCABundlePath ? { caBundlePath: settings.thvCABundlePath } : {}),
    ...(settings.jwksAuthTokenPath ? { jwksAuthTokenPath: settings.jwksAuthTokenPath } : {}),
  } as IncomingAuthConfig;
}

/** Inline policies, or ToolHive's authz file ({version, type: cedarv1, cedar: {policies, entities_json}}). */
function authzConfig(
  authz: Record<string, unknown> | undefined,
  readFile: (path: string) => string,
): AuthzConfig | undefined {
  if (!authz) return undefined;
  const inline = authz.inline as { policies?: string[]; entitiesJson?: string } | undefined;
  if (authz.type === 'inline') {
    if (!inline?.policies?.length) throw new GatewayConfigError('authzConfig.inline: at least one policy is required');
    return { type: 'cedar', policies: inline.policies, entitiesJson: inline.entitiesJson ?? '[]' };
  }
  const file = (authz.configMap as { file?: string } | undefined)?.file;
  if (!file) throw new GatewayConfigError('authzConfig.configMap: the operator did not name the mounted file');
  let doc: { cedar?: { policies?: string[]; entities_json?: string }; policies?: string[]; entitiesJson?: string };
  try {
    doc = JSON.parse(readFile(file));
  } catch (err) {
    throw new GatewayConfigError(`authzConfig.configMap: ${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const policies = doc.cedar?.policies ?? doc.policies;
  if (!policies?.length) throw new GatewayConfigError(`authzConfig.configMap: ${file} holds no Cedar policies`);
  return { type: 'cedar', policies, entitiesJson: doc.cedar?.entities_json ?? doc.entitiesJson ?? '[]' };
}
