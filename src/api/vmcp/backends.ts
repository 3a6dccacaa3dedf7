// Static mode (outgoingAuth.source inline): the gateway's backend list, written by the operator, per THV-0067
// "Operator: VirtualMCPServer Controller Update". Every endpoint of the group becomes a backend with its `type`
// (which ToolHive forgets to write), URL, transport, CA bundle path and the files its secret values are mounted at
// (secret-volumes.ts); the values themselves never enter the config. An endpoint that cannot be set up exactly as
// declared is left out with a reason (a missing Secret would otherwise keep the whole gateway pod from starting, and
// a missing CA or tool filter must not be replaced by weaker trust or more tools).

import { parse as parseYaml } from 'yaml';
import { checkCaBundle, DEFAULT_CA_BUNDLE_KEY } from '../endpoint/ca-bundle.ts';
import type { ConfigMap, Endpoint, SecretKeys } from '../endpoint/model.ts';
import { proxyMcpUrl } from '../endpoint/proxy-url.ts';
import {
  type BackendConfig,
  type BackendToolConfig,
  backendConfigSchema,
  type OutgoingAuthConfig,
} from '../gateway/config.ts';
import type { VirtualMCPServerBackendTools } from '../generated/index.ts';
import { httpUrlProblem } from '../http-url.ts';
import { type SecretKeyRef, secretFilePath } from '../secret-volumes.ts';
import { memoLastByOwner } from '../text-memo.ts';
import { backendName, CONFIG_KEY, caBundleMount } from './names.ts';
import type { VmcpSnapshot } from './snapshot.ts';

/** A CA bundle ConfigMap mounted for one direct endpoint. */
export interface CaMount {
  endpoint: string;
  volume: string;
  dir: string;
  path: string;
  configMap: string;
  key: string;
  /** The bundle as stored, hashed into the checksum: a changed CA rolls the pod (THV-0067 needs a restart). */
  content: string;
}

export interface IncludedBackend {
  endpoint: string;
  backend: string;
  type: 'direct' | 'proxy';
  config: BackendConfig;
}

export interface SkippedBackend {
  endpoint: string;
  reason: string;
  /** Not yet available (status.url empty): expected to resolve on its own, unlike a broken reference. */
  pending: boolean;
}

export interface StaticBackends {
  included: IncludedBackend[];
  skipped: SkippedBackend[];
  /** The Secret keys the included backends read, each once, sorted: the Deployment mounts them. */
  secrets: SecretKeyRef[];
  caMounts: CaMount[];
  tools: BackendToolConfig[];
}

type Step<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Step<T> => ({ ok: true, value });
const no = <T>(reason: string): Step<T> => ({ ok: false, reason });

export function staticBackends(snapshot: VmcpSnapshot): StaticBackends {
  const out: StaticBackends = { included: [], skipped: [], secrets: [], caMounts: [], tools: [] };
  const usedBackendNames = new Map<string, string>();
  const vmcpTools = new Map((snapshot.vmcp?.spec.aggregation?.tools ?? []).map((t) => [t.backend, t]));
  const servedProxies = proxiesInCurrentConfig(snapshot);

  // Sorted here too, so the rendered config never depends on the order the caches returned the members in.
  const members = [...snapshot.endpoints].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
  for (const endpoint of members) {
    const name = endpoint.metadata.name;
    const skip = (reason: string, pending = false) => out.skipped.push({ endpoint: name, reason, pending });
    if (endpoint.metadata.deletionTimestamp) {
      skip('the endpoint is being deleted');
      continue;
    }
    // THV-0067: an empty status.url on a proxy means "not yet available: skip, do not remove". A proxy the running
    // gateway already serves (its rollout, say) keeps its entry, so the gateway pods do not roll for it twice.
    const kept =
      endpoint.spec.type === 'proxy' && endpoint.status?.phase !== 'Failed'
        ? servedProxies.get(backendName(name))
        : undefined;
    const available = endpoint.status?.url || kept;
    if (!available) {
      if (endpoint.status?.phase === 'Failed') {
        skip('the endpoint is Failed (kubectl describe mcpre shows why)');
      } else {
        skip(
          endpoint.spec.type === 'proxy'
            ? 'not yet available: status.url is empty until the proxy Deployment is ready'
            : 'not yet available: status.url is empty until the endpoint is validated',
          true,
        );
      }
      continue;
    }
    // A status.url stored under an older, looser CRD must leave this endpoint out, not stop the whole computation.
    const urlProblem = httpUrlProblem(available);
    if (urlProblem) {
      skip(`status.url ${urlProblem}`);
      continue;
    }
    const bn = backendName(name);
    const clash = usedBackendNames.get(bn);
    if (clash !== undefined) {
      skip(`its backend name "${bn}" is already used by endpoint "${clash}"`);
      continue;
    }

    const secrets: SecretKeyRef[] = [];
    const auth = outgoingAuth(snapshot, endpoint, secrets);
    if (!auth.ok) {
      skip(auth.reason);
      continue;
    }
    const isDirect = endpoint.spec.type === 'direct';
    const headers = isDirect ? directHeaders(snapshot, endpoint, secrets) : ok({ plain: {}, fromFile: {} });
    if (!headers.ok) {
      skip(headers.reason);
      continue;
    }
    const ca = isDirect ? caBundle(snapshot, endpoint) : ok(undefined);
    if (!ca.ok) {
      skip(ca.reason);
      continue;
    }
    const tools = toolSettings(snapshot, endpoint, vmcpTools.get(name), bn);
    if (!tools.ok) {
      skip(tools.reason);
      continue;
    }

    const candidate = {
      name: bn,
      // RFC: direct backends are called at spec.remoteURL; proxies at their Service (status.url), which speaks
      // Streamable HTTP whatever the remote's transport.
      url: isDirect ? endpoint.spec.remoteURL : proxyMcpUrl(available),
      transport: isDirect ? endpoint.spec.transport : 'streamable-http',
      type: isDirect ? 'direct' : 'proxy',
      headers: headers.value.plain,
      headerFiles: headers.value.fromFile,
      ...(ca.value ? { caBundlePath: ca.value.path } : {}),
      auth: auth.value,
    };
    const parsed = backendConfigSchema.safeParse(candidate);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ');
      skip(`the gateway would reject this backend: ${issues}`);
      continue;
    }
    usedBackendNames.set(bn, name);
    out.included.push({ endpoint: name, backend: bn, type: parsed.data.type, config: parsed.data });
    out.secrets.push(...secrets);
    if (ca.value) out.caMounts.push(ca.value);
    if (tools.value) out.tools.push(tools.value);
  }
  out.secrets = uniqueSorted(out.secrets);
  return out;
}

function outgoingAuth(snapshot: VmcpSnapshot, endpoint: Endpoint, secrets: SecretKeyRef[]): Step<OutgoingAuthConfig> {
  const ref = endpoint.spec.externalAuthConfigRef?.name;
  if (!ref) return ok({ type: 'unauthenticated' });
  const auth = snapshot.authConfigs[ref] ?? null;
  if (!auth) return no(`MCPExternalAuthConfig "${ref}" (spec.externalAuthConfigRef) does not exist`);
  const spec = auth.spec;
  switch (spec.type) {
    case 'unauthenticated':
      return ok({ type: 'unauthenticated' });
    case 'headerInjection': {
      const settings = spec.headerInjection;
      if (!settings) return no(`MCPExternalAuthConfig "${ref}" has type headerInjection but no headerInjection block`);
      const file = mountedSecret(snapshot, settings.valueSecretRef, `MCPExternalAuthConfig "${ref}"`, secrets);
      if (!file.ok) return no(file.reason);
      return ok({ type: 'headerInjection', headerName: settings.headerName, valueFile: file.value });
    }
    case 'tokenExchange': {
      const t = spec.tokenExchange;
      if (!t) return no(`MCPExternalAuthConfig "${ref}" has type tokenExchange but no tokenExchange block`);
      const secretFile = t.clientSecretRef
        ? mountedSecret(snapshot, t.clientSecretRef, `MCPExternalAuthConfig "${ref}"`, secrets)
        : ok(undefined);
      if (!secretFile.ok) return no(secretFile.reason);
      return ok({
        type: 'tokenExchange',
        tokenUrl: t.tokenUrl,
        audience: t.audience,
        ...(t.clientId ? { clientId: t.clientId } : {}),
        ...(secretFile.value ? { clientSecretFile: secretFile.value } : {}),
        ...(t.scopes?.length ? { scopes: [...t.scopes] } : {}),
        ...(t.resource ? { resource: t.resource } : {}),
        ...(t.subjectTokenType ? { subjectTokenType: t.subjectTokenType } : {}),
      });
    }
    default:
      return no(
        `outgoing auth type ${spec.type} (MCPExternalAuthConfig "${ref}") cannot be applied by the gateway; ` +
          'use unauthenticated, headerInjection or tokenExchange',
      );
  }
}

function directHeaders(
  snapshot: VmcpSnapshot,
  endpoint: Endpoint,
  secrets: SecretKeyRef[],
): Step<{ plain: Record<string, string>; fromFile: Record<string, string> }> {
  const forward = endpoint.spec.headerForward;
  const fromFile: Record<string, string> = {};
  for (const h of forward?.addHeadersFromSecret ?? []) {
    const file = mountedSecret(snapshot, h.valueSecretRef, `header ${h.headerName}`, secrets);
    if (!file.ok) return no(file.reason);
    fromFile[h.headerName] = file.value;
  }
  return ok({ plain: { ...forward?.addPlaintextHeaders }, fromFile });
}

/** A Secret key the gateway reads from a file: checked to exist, recorded for the pod's mounts, its path returned. */
function mountedSecret(
  snapshot: VmcpSnapshot,
  ref: { name: string; key: string },
  who: string,
  secrets: SecretKeyRef[],
): Step<string> {
  const missing = secretProblem(snapshot, ref, who);
  if (missing) return no(missing);
  const key = { name: ref.name, key: ref.key };
  secrets.push(key);
  return ok(secretFilePath(key));
}

function secretProblem(snapshot: VmcpSnapshot, ref: { name: string; key: string }, who: string): string | undefined {
  const secret: SecretKeys | null = snapshot.secrets[ref.name] ?? null;
  if (!secret) return `${who}: Secret "${ref.name}" does not exist`;
  if (!secret.keys.includes(ref.key)) return `${who}: Secret "${ref.name}" has no key "${ref.key}"`;
  return undefined;
}

function caBundle(snapshot: VmcpSnapshot, endpoint: Endpoint): Step<CaMount | undefined> {
  const ref = endpoint.spec.caBundleRef;
  if (!ref?.name) return ok(undefined);
  const configMap: ConfigMap | null = snapshot.configMaps[ref.name] ?? null;
  const check = checkCaBundle(ref, configMap);
  if (!check.ok) return no(check.message);
  const key = ref.key || DEFAULT_CA_BUNDLE_KEY;
  const mount = caBundleMount(endpoint.metadata.name);
  const content = configMap?.data?.[key] ?? configMap?.binaryData?.[key] ?? '';
  return ok({ endpoint: endpoint.metadata.name, ...mount, configMap: ref.name, key, content });
}

/**
 * The VirtualMCPServer's tools entry for this endpoint wins; otherwise a direct endpoint's own toolConfigRef applies
 * (a proxy applies its own in the proxy pod, and applying it twice would filter on names it already renamed).
 */
function toolSettings(
  snapshot: VmcpSnapshot,
  endpoint: Endpoint,
  entry: VirtualMCPServerBackendTools | undefined,
  backend: string,
): Step<BackendToolConfig | undefined> {
  const refName = entry
    ? entry.toolConfigRef?.name
    : endpoint.spec.type === 'direct'
      ? endpoint.spec.toolConfigRef?.name
      : undefined;
  const where = entry
    ? `spec.aggregation.tools[backend=${endpoint.metadata.name}].toolConfigRef`
    : 'spec.toolConfigRef';
  let filter: string[] | undefined;
  let overrides: BackendToolConfig['overrides'];
  if (refName) {
    const tc = snapshot.toolConfigs[refName] ?? null;
    if (!tc) return no(`MCPToolConfig "${refName}" (${where}) does not exist; its tool filter cannot be applied`);
    filter = tc.spec?.toolsFilter?.length ? [...tc.spec.toolsFilter] : undefined;
    overrides = tc.spec?.toolsOverride ? structuredClone(tc.spec.toolsOverride) : undefined;
  }
  if (entry?.filter?.length) filter = [...entry.filter];
  if (entry?.overrides && Object.keys(entry.overrides).length) overrides = { ...overrides, ...entry.overrides };
  const excludeAll = entry?.excludeAll === true ? true : undefined;
  if (!filter && !overrides && !excludeAll) return ok(undefined);
  return ok({
    backend,
    ...(filter ? { filter } : {}),
    ...(overrides ? { overrides } : {}),
    ...(excludeAll ? { excludeAll } : {}),
  });
}

/** Proxy backends (name to URL) in the config the operator last wrote, read back from the owned ConfigMap. */
function proxiesInCurrentConfig(snapshot: VmcpSnapshot): ReadonlyMap<string, string> {
  const text = (snapshot.owned.ConfigMap as ConfigMap | null)?.data?.[CONFIG_KEY];
  if (!text) return NO_PROXIES;
  const owner = `${snapshot.vmcp?.metadata.namespace}/${snapshot.vmcp?.metadata.name}`;
  return proxiesInConfigText(owner, text, () => {
    try {
      return proxiesOf((parseYaml(text) as { backends?: ConfigBackend[] } | null)?.backends);
    } catch {
      // Not ours to repair: the next render replaces it.
      return NO_PROXIES;
    }
  });
}

type ConfigBackend = { name?: unknown; type?: unknown; url?: unknown };

function proxiesOf(backends: readonly ConfigBackend[] | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const b of backends ?? []) {
    if (b.type === 'proxy' && typeof b.name === 'string' && typeof b.url === 'string') out.set(b.name, b.url);
  }
  return out;
}

const NO_PROXIES: ReadonlyMap<string, string> = new Map();
/** VirtualMCPServers whose last rendered and stored files are remembered (one entry each). */
export const MEMO_OWNERS = 4096;
/**
 * The stored file changes only when the operator writes it, and is read back on every plan; two texts per
 * VirtualMCPServer, the stored one and the one just rendered (stored once written).
 */
const proxiesInConfigText = memoLastByOwner<ReadonlyMap<string, string>>(MEMO_OWNERS, 2);

/**
 * Remembers the proxies of a file as it is rendered, from the input it was rendered from, so reading the file back
 * from the ConfigMap costs no YAML parse (the rendering is lossless: the text parses back to that input).
 */
export function rememberRenderedProxies(
  owner: string,
  text: string,
  backends: readonly ConfigBackend[] | undefined,
): void {
  proxiesInConfigText(owner, text, () => proxiesOf(backends));
}

function uniqueSorted(refs: SecretKeyRef[]): SecretKeyRef[] {
  const byId = new Map(refs.map((r) => [`${r.name}/${r.key}`, r]));
  return [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}
