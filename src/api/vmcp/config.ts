// The gateway config a VirtualMCPServer's ConfigMap holds: exactly the file `mcpre gateway --config` reads. Inline
// mode lists the group's backends (with the paths of their mounted secret files, never values); discovered mode lists
// none and the gateway watches the group itself. The rendered YAML is parsed back with the gateway's own validator, so
// the operator never writes a file the gateway would refuse to start with: a problem becomes a condition instead.
import {
  type GatewayConfig,
  GatewayConfigError,
  type GatewayConfigInput,
  validateGatewayConfig,
} from '../gateway/config.ts';
import { parseGatewayConfig } from '../gateway/config-text.ts';
import { secretFilePath } from '../secret-volumes.ts';
import { memoLastByOwner } from '../text-memo.ts';
import { yamlRoundTrip } from '../yaml-round-trip.ts';
import { MEMO_OWNERS, rememberRenderedProxies, type StaticBackends, staticBackends } from './backends.ts';
import { gatewayConfigYaml } from './config-yaml.ts';
import { discoveryMode, type VirtualMCPServer } from './model.ts';
import { backendName, toDnsLabel, vmcpNames } from './names.ts';
import { type SessionStorage, sessionStorageCaMount, sessionStorageSecretFiles } from './session-storage.ts';
import type { VmcpSnapshot } from './snapshot.ts';

export interface RenderedConfig {
  mode: 'inline' | 'discovered';
  /** The ConfigMap's config.yaml. */
  yaml: string;
  /** The same, as the gateway parses it. */
  config: GatewayConfig;
  /** Inline mode: what was included, left out, and which Secret keys and CA bundles the pod mounts. */
  backends: StaticBackends;
  /** The group's type direct members (by spec, whether or not they are available yet), sorted. */
  directEndpoints: string[];
  /** Where client sessions live (spec.sessionStorage). */
  storage: SessionStorage;
}

export type RenderResult =
  | { ok: true; rendered: RenderedConfig }
  | { ok: false; message: string; backends: StaticBackends; directEndpoints: string[] };

type BackendInput = NonNullable<GatewayConfigInput['backends']>[number];

const NO_BACKENDS: StaticBackends = { included: [], skipped: [], secrets: [], caMounts: [], tools: [] };

export function renderGatewayConfig(
  snapshot: VmcpSnapshot,
  storage: SessionStorage = { provider: 'memory' },
): RenderResult {
  const vmcp = snapshot.vmcp;
  if (!vmcp) throw new Error('renderGatewayConfig: no VirtualMCPServer in the snapshot');
  const mode = discoveryMode(vmcp);
  const backends = mode === 'inline' ? staticBackends(snapshot) : NO_BACKENDS;
  const directEndpoints = snapshot.endpoints
    .filter((e) => e.spec.type === 'direct' && !e.metadata.deletionTimestamp)
    .map((e) => e.metadata.name);

  const input: GatewayConfigInput = {
    name: toDnsLabel(vmcp.metadata.name, vmcp.metadata.name),
    backends: backends.included.map((b) => compactBackend(b.config)),
    aggregation: aggregation(vmcp, mode === 'inline' ? backends : undefined, snapshot),
    incomingAuth: incomingAuth(vmcp),
  };
  // With the memory store, direct sessions live in one process: the replicas agree on who holds them through a Lease
  // named after the VirtualMCPServer (it also covers the two pods that briefly coexist during a rollout). With a
  // shared store every replica serves every backend, each with its own backend sessions, and no Lease is needed.
  if (storage.provider === 'redis') {
    const caFile = sessionStorageCaMount(storage)?.path;
    const [certFile, keyFile] = sessionStorageSecretFiles(storage).map(secretFilePath);
    input.sessionStore = {
      url: storage.url,
      ...(caFile ? { caFile } : {}),
      ...(certFile && keyFile ? { certFile, keyFile } : {}),
    };
  } else if (directEndpoints.length > 0) {
    input.lease = { name: vmcpNames(vmcp.metadata.name).lease, namespace: vmcp.metadata.namespace ?? '' };
  }
  // The file and the gateway's verdict on it are a function of where it goes and what it says.
  const { yaml, verdict } = renderedFiles(
    `${vmcp.metadata.namespace}/${vmcp.metadata.name}`,
    JSON.stringify(input),
    () => {
      const comment = `Written by the mcpre operator for VirtualMCPServer ${vmcp.metadata.namespace}/${vmcp.metadata.name}; edits are overwritten.`;
      const text = `# ${comment}\n${gatewayConfigYaml(input)}`;
      rememberRenderedProxies(`${vmcp.metadata.namespace}/${vmcp.metadata.name}`, text, input.backends);
      return { yaml: text, verdict: gatewayVerdict(text, yamlRoundTrip(input, comment), vmcp.metadata.name) };
    },
  );
  if ('message' in verdict) return { ok: false, message: verdict.message, backends, directEndpoints };
  return { ok: true, rendered: { mode, yaml, config: verdict.config, backends, directEndpoints, storage } };
}

type Verdict = { config: GatewayConfig } | { message: string };

/** Most plans of a VirtualMCPServer render the same input: it is planned on every change in its group. */
const renderedFiles = memoLastByOwner<{ yaml: string; verdict: Verdict }>(MEMO_OWNERS);

/** The gateway's verdict on the file; `parsed` is what reading it gives, when known without parsing the text. */
function gatewayVerdict(yaml: string, parsed: unknown, name: string): Verdict {
  const source = `the gateway config for VirtualMCPServer "${name}"`;
  try {
    return {
      config: parsed === undefined ? parseGatewayConfig(yaml, source) : validateGatewayConfig(parsed, source),
    };
  } catch (err) {
    if (!(err instanceof GatewayConfigError)) throw err;
    return { message: err.message };
  }
}

/** Leaves out empty maps and defaults the gateway fills in anyway, so the file reads like a hand-written one. */
function compactBackend(b: StaticBackends['included'][number]['config']): BackendInput {
  const out: BackendInput = { name: b.name, type: b.type, url: b.url, transport: b.transport };
  if (Object.keys(b.headers).length) out.headers = b.headers;
  if (Object.keys(b.headerFiles).length) out.headerFiles = b.headerFiles;
  if (b.caBundlePath) out.caBundlePath = b.caBundlePath;
  if (b.auth.type !== 'unauthenticated') out.auth = b.auth;
  return out;
}

function aggregation(
  vmcp: VirtualMCPServer,
  backends: StaticBackends | undefined,
  snapshot: VmcpSnapshot,
): NonNullable<GatewayConfigInput['aggregation']> {
  const spec = vmcp.spec.aggregation;
  const included = backends ? new Set(backends.included.map((b) => b.endpoint)) : undefined;
  const served = (endpoint: string) => included === undefined || included.has(endpoint);
  // Inline backends are named by backendName(); the gateway's discovery names them after the endpoint itself.
  const nameOf = backends ? backendName : (endpoint: string) => endpoint;
  const priorityOrder = (spec?.conflictResolutionConfig?.priorityOrder ?? []).filter(served).map(nameOf);
  const tools = backends ? backends.tools : discoveredTools(vmcp, snapshot);
  return {
    conflictResolution: spec?.conflictResolution ?? 'prefix',
    conflictResolutionConfig: {
      prefixFormat: spec?.conflictResolutionConfig?.prefixFormat ?? '{backend}_',
      priorityOrder,
    },
    tools,
  };
}

/** Discovered mode has no backend list: tool settings go by endpoint name (the gateway's discovered backend names). */
function discoveredTools(vmcp: VirtualMCPServer, snapshot: VmcpSnapshot): StaticBackends['tools'] {
  return (vmcp.spec.aggregation?.tools ?? []).map((t) => {
    const tc = t.toolConfigRef?.name ? snapshot.toolConfigs[t.toolConfigRef.name]?.spec : undefined;
    const filter = t.filter?.length ? t.filter : tc?.toolsFilter;
    const overrides = { ...tc?.toolsOverride, ...t.overrides };
    return {
      backend: t.backend,
      ...(filter?.length ? { filter: [...filter] } : {}),
      ...(Object.keys(overrides).length ? { overrides } : {}),
      ...(t.excludeAll ? { excludeAll: true } : {}),
    };
  });
}

function incomingAuth(vmcp: VirtualMCPServer): NonNullable<GatewayConfigInput['incomingAuth']> {
  const auth = vmcp.spec.incomingAuth;
  if (auth?.type !== 'oidc' || !auth.oidc) return { type: 'anonymous' };
  const o = auth.oidc;
  return {
    type: 'oidc',
    issuer: o.issuer,
    audience: o.audience,
    ...(o.jwksUrl ? { jwksUrl: o.jwksUrl } : {}),
    clockToleranceSeconds: o.clockToleranceSeconds ?? 30,
  };
}
