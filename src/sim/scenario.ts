// The simulated cluster's initial objects and its seeded script of changes. Objects are written as the API server
// would store them after defaulting (explicit proxyPort, sessionAffinity, trustProxyHeaders), because the in-memory
// server does not apply CRD defaults.
import { Resources, type ResourceType } from '../actors/kube/kube-api.ts';
import { VmcpResources } from '../actors/kube/vmcp-resources.ts';
import { HTTP_URL_RULE_TEXT, httpUrlProblem } from '../api/http-url.ts';
import {
  GROUP_VERSION,
  MCP_EXTERNAL_AUTH_CONFIG,
  MCP_GROUP,
  MCP_REMOTE_ENDPOINT,
  MCP_TOOL_CONFIG,
  VIRTUAL_MCP_SERVER,
} from '../api/resources.ts';
import type { Rng } from '../runtime/random.ts';
import type { KubeObject } from './fake-apiserver.ts';

export { GROUP_VERSION };
export const NS = 'sim';

/** The in-memory server's name of a resource: `plural.group`, or the plural alone for the core group. */
export const resourceName = (r: ResourceType): string => (r.group ? `${r.plural}.${r.group}` : r.plural);

export const R = {
  endpoint: resourceName(MCP_REMOTE_ENDPOINT),
  group: resourceName(MCP_GROUP),
  authConfig: resourceName(MCP_EXTERNAL_AUTH_CONFIG),
  toolConfig: resourceName(MCP_TOOL_CONFIG),
  vmcp: resourceName(VIRTUAL_MCP_SERVER),
  configMap: resourceName(Resources.configMap),
  secret: resourceName(Resources.secret),
  deployment: resourceName(Resources.deployment),
  service: resourceName(Resources.service),
  serviceAccount: resourceName(Resources.serviceAccount),
  role: resourceName(VmcpResources.role),
  roleBinding: resourceName(VmcpResources.roleBinding),
  event: resourceName(Resources.event),
} as const;

export const KNOWN_RESOURCES = Object.values(R);
export const STATUS_RESOURCES = [R.endpoint, R.group, R.authConfig, R.vmcp, R.deployment];
export const GROUPS = ['alpha', 'beta', 'gamma'];

/** The secret value every header Secret carries: the "no secret in any log line" invariant searches for it. */
export const SECRET_VALUE = 'sim-secret-7f3a9c1e';

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NS, ...extra });
const b64 = (s: string) => Buffer.from(s).toString('base64');

export function baseObjects(caPem: string): { resource: string; object: KubeObject }[] {
  return [
    ...GROUPS.map((g) => ({
      resource: R.group,
      object: { apiVersion: GROUP_VERSION, kind: 'MCPGroup', metadata: meta(g), spec: {} },
    })),
    {
      resource: R.secret,
      object: { apiVersion: 'v1', kind: 'Secret', metadata: meta('header-secret'), data: { token: b64(SECRET_VALUE) } },
    },
    {
      resource: R.configMap,
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('ca-good'), data: { 'ca.crt': caPem } },
    },
    {
      resource: R.configMap,
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta('ca-bad'),
        data: { 'ca.crt': 'not a certificate' },
      },
    },
    {
      resource: R.authConfig,
      object: {
        apiVersion: GROUP_VERSION,
        kind: 'MCPExternalAuthConfig',
        metadata: meta('inject'),
        spec: {
          type: 'headerInjection',
          headerInjection: { headerName: 'X-API-Key', valueSecretRef: { name: 'header-secret', key: 'token' } },
        },
      },
    },
    {
      resource: R.authConfig,
      object: {
        apiVersion: GROUP_VERSION,
        kind: 'MCPExternalAuthConfig',
        metadata: meta('aws'),
        spec: { type: 'awsSts', awsSts: { region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/mcp' } },
      },
    },
  ];
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;

/** One endpoint with a seeded shape: direct or proxy, and sometimes a reference that is (or becomes) broken. */
export function endpointObject(rng: Rng, i: number): KubeObject {
  const direct = rng.next() < 0.7;
  const spec: Record<string, unknown> = {
    type: direct ? 'direct' : 'proxy',
    remoteURL: `https://remote-${i}.example.com/mcp`,
    transport: 'streamable-http',
    groupRef: pick(rng, [...GROUPS, 'missing-group']),
  };
  const r = rng.next();
  if (direct && r < 0.15) spec.externalAuthConfigRef = { name: pick(rng, ['inject', 'aws', 'absent']) };
  if (direct && r >= 0.15 && r < 0.3)
    spec.caBundleRef = { name: pick(rng, ['ca-good', 'ca-bad', 'ca-absent']), key: 'ca.crt' };
  if (direct && r >= 0.3 && r < 0.45) {
    spec.headerForward = {
      addHeadersFromSecret: [{ headerName: 'X-Token', valueSecretRef: { name: 'header-secret', key: 'token' } }],
    };
  }
  if (!direct) {
    spec.proxyConfig = {
      proxyPort: 8080,
      sessionAffinity: 'ClientIP',
      trustProxyHeaders: false,
      oidcConfig: { type: 'kubernetes', kubernetes: { audience: `ep-${i}` } },
    };
  }
  return { apiVersion: GROUP_VERSION, kind: 'MCPRemoteEndpoint', metadata: meta(`ep-${i}`), spec };
}

export type Mutation =
  | { kind: 'createEndpoint'; index: number }
  | { kind: 'deleteEndpoint'; name: string }
  | { kind: 'moveEndpoint'; name: string; group: string }
  | { kind: 'deleteGroup'; group: string }
  | { kind: 'createGroup'; group: string }
  | { kind: 'createVmcp'; index: number }
  | { kind: 'deleteVmcp'; name: string }
  | { kind: 'moveVmcp'; name: string; group: string }
  | { kind: 'compact' };

/** What exists when the next change is drawn, the sizes the script holds the world near, and the next new indexes. */
export interface ScenarioState {
  endpoints: string[];
  vmcps: string[];
  /** The starting counts: creates and deletes are equally likely at these sizes, deletes likelier above them. */
  endpointTarget: number;
  vmcpTarget: number;
  nextEndpoint: number;
  nextVmcp: number;
}

/**
 * Whether a draw `r` in [0, band) creates (else deletes): at `count == target` half the band each, so the world stays
 * near the size a run was asked for instead of growing through a day of changes.
 */
const creates = (r: number, band: number, count: number, target: number) =>
  r < (band * Math.max(target, 1)) / (Math.max(target, 1) + count);

export function nextMutation(rng: Rng, s: ScenarioState): Mutation {
  const r = rng.next();
  if (s.endpoints.length === 0) return { kind: 'createEndpoint', index: s.nextEndpoint };
  if (r < 0.37) {
    return creates(r, 0.37, s.endpoints.length, s.endpointTarget)
      ? { kind: 'createEndpoint', index: s.nextEndpoint }
      : { kind: 'deleteEndpoint', name: pick(rng, s.endpoints) };
  }
  if (r < 0.57)
    return { kind: 'moveEndpoint', name: pick(rng, s.endpoints), group: pick(rng, [...GROUPS, 'missing-group']) };
  if (r < 0.65) return { kind: 'deleteGroup', group: pick(rng, GROUPS) };
  if (r < 0.75) return { kind: 'createGroup', group: pick(rng, GROUPS) };
  if (s.vmcps.length === 0) return { kind: 'createVmcp', index: s.nextVmcp };
  if (r < 0.87) {
    return creates(r - 0.75, 0.12, s.vmcps.length, s.vmcpTarget)
      ? { kind: 'createVmcp', index: s.nextVmcp }
      : { kind: 'deleteVmcp', name: pick(rng, s.vmcps) };
  }
  if (r < 0.94) return { kind: 'moveVmcp', name: pick(rng, s.vmcps), group: pick(rng, [...GROUPS, 'missing-group']) };
  return { kind: 'compact' };
}

/** One VirtualMCPServer with a seeded group and discovery mode. */
export function vmcpObject(rng: Rng, i: number): KubeObject {
  const inline = rng.next() < 0.6;
  return {
    apiVersion: GROUP_VERSION,
    kind: 'VirtualMCPServer',
    metadata: meta(`vmcp-${i}`),
    spec: {
      groupRef: pick(rng, [...GROUPS, 'missing-group']),
      outgoingAuth: { source: inline ? 'inline' : 'discovered' },
    },
  };
}

/** What the CRDs' CEL rules reject, for the in-memory server (the differential test keeps this honest). */
export function endpointValidation(
  resource: string,
  next: KubeObject,
  old: KubeObject | undefined,
): string | undefined {
  if (resource !== R.endpoint) return undefined;
  const spec = (next.spec ?? {}) as { type?: string; proxyConfig?: unknown; remoteURL?: unknown };
  if (typeof spec.remoteURL === 'string' && httpUrlProblem(spec.remoteURL))
    return `spec.remoteURL ${HTTP_URL_RULE_TEXT}`;
  const type = spec.type ?? 'proxy';
  if (type === 'proxy' && !spec.proxyConfig) return 'spec.proxyConfig is required when spec.type is proxy';
  if (type === 'direct' && spec.proxyConfig) return 'spec.proxyConfig must not be set when spec.type is direct';
  const oldType = old ? (((old.spec ?? {}) as { type?: string }).type ?? 'proxy') : undefined;
  if (oldType !== undefined && oldType !== type) return 'spec.type is immutable after creation';
  return undefined;
}
