// The simulated cluster's initial objects and its seeded script of changes. Objects are written as the API server
// would store them after defaulting (explicit proxyPort, sessionAffinity, trustProxyHeaders), because the in-memory
// server does not apply CRD defaults.
import { HTTP_URL_RULE_TEXT, httpUrlProblem } from '../api/http-url.ts';
import type { Rng } from '../runtime/random.ts';
import type { KubeObject } from './fake-apiserver.ts';

export const NS = 'sim';
export const R = {
  endpoint: 'mcpremoteendpoints.toolhive.stacklok.dev',
  group: 'mcpgroups.toolhive.stacklok.dev',
  authConfig: 'mcpexternalauthconfigs.toolhive.stacklok.dev',
  toolConfig: 'mcptoolconfigs.toolhive.stacklok.dev',
  configMap: 'configmaps',
  secret: 'secrets',
  deployment: 'deployments.apps',
  service: 'services',
  serviceAccount: 'serviceaccounts',
  event: 'events.events.k8s.io',
} as const;

export const KNOWN_RESOURCES = Object.values(R);
export const STATUS_RESOURCES = [R.endpoint, R.group, R.authConfig, R.deployment];
export const GROUPS = ['alpha', 'beta', 'gamma'];

/** The secret value every header Secret carries: the "no secret in any log line" invariant searches for it. */
export const SECRET_VALUE = 'sim-secret-7f3a9c1e';

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NS, ...extra });
const b64 = (s: string) => Buffer.from(s).toString('base64');

export function baseObjects(caPem: string): { resource: string; object: KubeObject }[] {
  return [
    ...GROUPS.map((g) => ({
      resource: R.group,
      object: { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPGroup', metadata: meta(g), spec: {} },
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
        apiVersion: 'toolhive.stacklok.dev/v1alpha1',
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
        apiVersion: 'toolhive.stacklok.dev/v1alpha1',
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
  return { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPRemoteEndpoint', metadata: meta(`ep-${i}`), spec };
}

export type Mutation =
  | { kind: 'createEndpoint'; index: number }
  | { kind: 'deleteEndpoint'; name: string }
  | { kind: 'moveEndpoint'; name: string; group: string }
  | { kind: 'deleteGroup'; group: string }
  | { kind: 'createGroup'; group: string }
  | { kind: 'compact' };

export function nextMutation(rng: Rng, existing: string[], nextIndex: number): Mutation {
  const r = rng.next();
  if (r < 0.3 || existing.length === 0) return { kind: 'createEndpoint', index: nextIndex };
  if (r < 0.45) return { kind: 'deleteEndpoint', name: pick(rng, existing) };
  if (r < 0.7)
    return { kind: 'moveEndpoint', name: pick(rng, existing), group: pick(rng, [...GROUPS, 'missing-group']) };
  if (r < 0.8) return { kind: 'deleteGroup', group: pick(rng, GROUPS) };
  if (r < 0.92) return { kind: 'createGroup', group: pick(rng, GROUPS) };
  return { kind: 'compact' };
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
