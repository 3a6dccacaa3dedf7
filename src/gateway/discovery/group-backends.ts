// Dynamic discovery as a pure function: the MCPRemoteEndpoints of one MCPGroup, with the auth configs, Secrets,
// ConfigMaps and tool configs they reference, become the gateway's desired backends (a tokenExchange one with one
// backend session per client). `type: direct` uses spec.remoteURL; `type: proxy` uses status.url, and an empty
// status.url means "not yet available": a proxy backend the gateway already serves is kept as it was, never removed.
// Headers and auth go through the one outgoing-auth builder (actors/mcp/auth/outgoing-auth.ts) with the Secret values
// read here. Anything that cannot be resolved exactly (a URL outside the shared rule, a missing Secret, a header the
// header policy refuses, an auth type the gateway cannot apply, a CA bundle that is not PEM) leaves that backend out
// with a reason, and so does an endpoint the operator marked Failed for its current generation.

import { createHash } from 'node:crypto';
import { type AuthMethodSpec, buildOutgoingAuth, type HeaderSpec } from '../../actors/mcp/auth/outgoing-auth.ts';
import { checkCaBundle } from '../../api/endpoint/ca-bundle.ts';
import type { ConfigMap, Endpoint, ExternalAuthConfig, KubeObject } from '../../api/endpoint/model.ts';
import { proxyMcpUrl } from '../../api/endpoint/proxy-url.ts';
import type { MCPToolConfigSpec } from '../../api/generated/index.ts';
import { httpUrlProblem } from '../../api/http-url.ts';
import type { DesiredBackend } from '../backend-set.ts';
import type { SetupResult } from '../backend-setup.ts';

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export interface ToolConfigObject extends KubeObject {
  spec?: MCPToolConfigSpec;
}

export interface GroupSnapshot {
  group: string;
  namespace: string;
  endpoints: Iterable<Endpoint>;
  authConfig(name: string): ExternalAuthConfig | undefined;
  secret(name: string): SecretObject | undefined;
  configMap(name: string): ConfigMap | undefined;
  toolConfig(name: string): ToolConfigObject | undefined;
}

export function groupBackends(
  snapshot: GroupSnapshot,
  previous: ReadonlyMap<string, DesiredBackend>,
): DesiredBackend[] {
  const desired: DesiredBackend[] = [];
  const endpoints = [...snapshot.endpoints]
    .filter((e) => e.spec?.groupRef === snapshot.group && !e.metadata.deletionTimestamp)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  for (const endpoint of endpoints) {
    const name = endpoint.metadata.name;
    const type = endpoint.spec.type === 'direct' ? 'direct' : 'proxy';
    // One endpoint, however malformed (objects stored under an older CRD keep whatever it admitted), can only ever
    // leave itself out: nothing it holds may stop the others from being served.
    try {
      desired.push(desiredBackend(snapshot, endpoint, type, previous));
    } catch (err) {
      desired.push(leftOut(name, type, `cannot be read: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  return desired;
}

function desiredBackend(
  snapshot: GroupSnapshot,
  endpoint: Endpoint,
  type: 'direct' | 'proxy',
  previous: ReadonlyMap<string, DesiredBackend>,
): DesiredBackend {
  const name = endpoint.metadata.name;
  const refused = operatorRefusal(endpoint);
  if (refused) return leftOut(name, type, refused);
  if (type === 'direct') {
    const problem = httpUrlProblem(String(endpoint.spec.remoteURL ?? ''));
    if (problem) return leftOut(name, type, `spec.remoteURL ${problem}`);
    return resolveEndpoint(snapshot, endpoint, type, endpoint.spec.remoteURL);
  }
  const statusUrl = endpoint.status?.url;
  if (!statusUrl) {
    const kept = previous.get(name);
    return kept?.result.ok ? kept : leftOut(name, type, 'the proxy is not available yet (status.url is empty)');
  }
  const problem = httpUrlProblem(statusUrl);
  if (problem) return leftOut(name, type, `status.url ${problem}`);
  return resolveEndpoint(snapshot, endpoint, type, proxyMcpUrl(statusUrl));
}

/**
 * The operator's verdict, when it has judged the current spec and marked the endpoint Failed (an invalid spec or
 * reference, a proxy that cannot be provisioned): the gateway leaves it out with the operator's reason rather than
 * second-guess it. A verdict on an older generation is ignored; the gateway's own checks apply until the operator
 * catches up.
 */
function operatorRefusal(endpoint: Endpoint): string | undefined {
  const status = endpoint.status;
  if (status?.phase !== 'Failed' || status.observedGeneration !== endpoint.metadata.generation) return undefined;
  const ready = status.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  return `the operator marked this endpoint Failed${ready ? ` (${ready.reason}: ${ready.message})` : ''}`;
}

function leftOut(name: string, type: 'direct' | 'proxy', reason: string): DesiredBackend {
  return { name, type, result: { ok: false, name, reason }, fingerprint: `excluded:${reason}` };
}

function resolveEndpoint(
  snapshot: GroupSnapshot,
  endpoint: Endpoint,
  type: 'direct' | 'proxy',
  url: string,
): DesiredBackend {
  const name = endpoint.metadata.name;
  const fail = (reason: string) => leftOut(name, type, reason);

  const secretValue = (ref: { name: string; key: string }): string | { missing: string } => {
    const secret = snapshot.secret(ref.name);
    if (!secret) return { missing: `Secret ${ref.name} not found` };
    const encoded = secret.data?.[ref.key];
    if (encoded === undefined) return { missing: `Secret ${ref.name} has no key ${ref.key}` };
    return Buffer.from(encoded, 'base64').toString('utf8');
  };

  const headers: HeaderSpec[] = Object.entries(endpoint.spec.headerForward?.addPlaintextHeaders ?? {}).map(
    ([header, value]) => ({ name: header, value, source: 'addPlaintextHeaders' }),
  );
  for (const entry of endpoint.spec.headerForward?.addHeadersFromSecret ?? []) {
    const value = secretValue(entry.valueSecretRef);
    if (typeof value !== 'string') return fail(`header ${entry.headerName}: ${value.missing}`);
    headers.push({ name: entry.headerName, value, source: `Secret ${entry.valueSecretRef.name}` });
  }

  let auth: AuthMethodSpec = { type: 'unauthenticated' };
  const authRef = endpoint.spec.externalAuthConfigRef?.name;
  const authConfig = authRef ? snapshot.authConfig(authRef) : undefined;
  if (authRef && !authConfig) return fail(`MCPExternalAuthConfig ${authRef} not found`);
  if (authRef && authConfig) {
    const resolved = authSpec(authConfig, secretValue);
    if (typeof resolved === 'string') return fail(`MCPExternalAuthConfig ${authRef}: ${resolved}`);
    auth = resolved;
  }
  const built = buildOutgoingAuth({ headers, auth });
  if (!built.ok) return fail(built.problem);

  let caPem: string | undefined;
  const caRef = endpoint.spec.caBundleRef;
  if (caRef) {
    // The operator's own check, so the gateway leaves a backend out for the reason its status names.
    const check = checkCaBundle(caRef, snapshot.configMap(caRef.name) ?? null);
    if (!check.ok) return fail(check.message);
    caPem = check.pem;
  }

  let tools: DesiredBackend['tools'];
  const toolRef = endpoint.spec.toolConfigRef?.name;
  if (toolRef) {
    const toolConfig = snapshot.toolConfig(toolRef);
    // Without its tool config the backend might show tools that were meant to be hidden: leave it out instead.
    if (!toolConfig) return fail(`MCPToolConfig ${toolRef} not found`);
    tools = { filter: toolConfig.spec?.toolsFilter, overrides: toolConfig.spec?.toolsOverride };
  }

  const transport = endpoint.spec.transport ?? 'streamable-http';
  const result: SetupResult = {
    ok: true,
    setup: { info: { name, url, type, authMethod: auth.type }, transport, caPem, outgoing: built.setup },
  };
  // Secret values go into the fingerprint only as the builder's digest, so a rotated Secret gives a new session
  // without the fingerprint holding key material.
  const digest = createHash('sha256')
    .update(JSON.stringify({ url, type, transport, outgoing: built.setup.digest, caPem: caPem ?? null }))
    .digest('hex');
  return { name, type, result, fingerprint: digest, ...(tools ? { tools } : {}) };
}

/** An MCPExternalAuthConfig as the builder takes it, its Secret values read; or why the gateway cannot apply it. */
function authSpec(
  auth: ExternalAuthConfig,
  secretValue: (ref: { name: string; key: string }) => string | { missing: string },
): AuthMethodSpec | string {
  switch (auth.spec.type) {
    case 'unauthenticated':
      return { type: 'unauthenticated' };
    case 'headerInjection': {
      const cfg = auth.spec.headerInjection;
      if (!cfg) return 'headerInjection settings are missing';
      const value = secretValue(cfg.valueSecretRef);
      if (typeof value !== 'string') return value.missing;
      return {
        type: 'headerInjection',
        header: {
          name: cfg.headerName,
          value,
          source: `MCPExternalAuthConfig ${auth.metadata.name} (Secret ${cfg.valueSecretRef.name})`,
        },
      };
    }
    case 'tokenExchange': {
      const cfg = auth.spec.tokenExchange;
      if (!cfg) return 'tokenExchange settings are missing';
      if (cfg.subjectProviderName) {
        return "tokenExchange.subjectProviderName (an upstream provider's token as the subject) is not supported by the gateway; leave it empty to exchange the client's validated token";
      }
      const { clientSecretRef, subjectProviderName: _none, ...exchange } = cfg;
      // One backend session per client (per-client-backend.ts), with the gateway's default limits.
      const source = `MCPExternalAuthConfig ${auth.metadata.name}: tokenExchange`;
      if (!clientSecretRef) return { type: 'tokenExchange', exchange, source };
      const clientSecret = secretValue(clientSecretRef);
      if (typeof clientSecret !== 'string') return clientSecret.missing;
      return { type: 'tokenExchange', exchange: { ...exchange, clientSecret }, source };
    }
    default:
      return `type ${auth.spec.type} cannot be applied by the gateway`;
  }
}
