// A scenario that walks every code path of `mcpre operator` once: direct endpoints (public; header secret + auth
// config + CA bundle), a proxy endpoint (token exchange, tool config, its Deployment driven to available, then deleted
// so the finalizer removes what the operator created), an endpoint that fails validation, a group, and
// VirtualMCPServers in both discovery modes (their gateway Deployments driven to available). The control plane has no
// controller-manager, so the test plays the Deployment controller.
import { type KubeApi, Resources } from '../../../src/actors/kube/kube-api.ts';
import type { ResourceId } from '../../../src/api/resources.ts';
import {
  MCP_EXTERNAL_AUTH_CONFIG,
  MCP_GROUP,
  MCP_REMOTE_ENDPOINT,
  MCP_TOOL_CONFIG,
  VIRTUAL_MCP_SERVER,
} from '../../../src/api/resources.ts';
import { DEPLOYMENT, markDeploymentAvailable } from '../../support/deployment-status.ts';
import { eventually as poll } from '../../support/eventually.ts';
import type { KubeObjects } from '../../support/kube-objects.ts';

const GV = 'toolhive.stacklok.dev/v1alpha1';

export { DEPLOYMENT, markDeploymentAvailable };
export const SERVICE: ResourceId = Resources.service;
export const SERVICE_ACCOUNT: ResourceId = Resources.serviceAccount;
const SECRET: ResourceId = Resources.secret;
const CONFIG_MAP: ResourceId = Resources.configMap;

export const GROUP = 'team';
export const DIRECT_ENDPOINTS = ['public', 'secured'] as const;
export const PROXY_ENDPOINT = 'proxied';
export const FAILING_ENDPOINT = 'broken';
export const VMCPS = ['static-gw', 'dynamic-gw'] as const;
/** ToolHive objects the operator warns about (their test CRDs: test/crds/toolhive, test/crds/toolhive-v1beta1). */
export const REMOTE_PROXY: ResourceId = Resources.mcpRemoteProxy;
export const SERVER_ENTRY: ResourceId = {
  group: 'toolhive.stacklok.dev',
  version: 'v1beta1',
  plural: 'mcpserverentries',
  kind: 'MCPServerEntry',
};
export const EVENT: ResourceId = Resources.event;

/** The shared poll with this scenario's longer defaults (30 s, every 100 ms): whole processes are slower to settle. */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  return poll(what, probe, { timeoutMs, intervalMs });
}

export async function getOrUndefined(kube: KubeObjects, res: ResourceId, ns: string, name: string) {
  try {
    return await kube.get(res, ns, name);
  } catch {
    return undefined;
  }
}

const obj = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: GV,
  kind,
  metadata: { name },
  spec,
});

/** Creates everything; `caPem` must be a real PEM CA certificate (the CA bundle is parsed). */
export async function createScenario(kube: KubeObjects, ns: string, caPem: string): Promise<void> {
  await kube.create(MCP_GROUP, ns, obj('MCPGroup', GROUP, {}));
  await kube.create(SECRET, ns, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'api-key' },
    stringData: { token: 'rbac-test-token' },
  });
  await kube.create(SECRET, ns, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sts-client' },
    stringData: { 'client-secret': 'rbac-test-client-secret' },
  });
  await kube.create(CONFIG_MAP, ns, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'private-ca' },
    data: { 'ca.crt': caPem },
  });
  await kube.create(
    MCP_EXTERNAL_AUTH_CONFIG,
    ns,
    obj('MCPExternalAuthConfig', 'api-key-header', {
      type: 'headerInjection',
      headerInjection: { headerName: 'X-API-Key', valueSecretRef: { name: 'api-key', key: 'token' } },
    }),
  );
  await kube.create(
    MCP_EXTERNAL_AUTH_CONFIG,
    ns,
    obj('MCPExternalAuthConfig', 'sts', {
      type: 'tokenExchange',
      tokenExchange: {
        tokenUrl: 'https://sts.example.com/oauth2/token',
        clientId: 'gateway',
        clientSecretRef: { name: 'sts-client', key: 'client-secret' },
        audience: 'https://internal.example.com',
      },
    }),
  );
  await kube.create(MCP_TOOL_CONFIG, ns, obj('MCPToolConfig', 'read-only', { toolsFilter: ['search'] }));
  const direct = { type: 'direct', transport: 'streamable-http', groupRef: GROUP };
  await kube.create(
    MCP_REMOTE_ENDPOINT,
    ns,
    obj('MCPRemoteEndpoint', 'public', { ...direct, remoteURL: 'https://public.example.com/mcp' }),
  );
  await kube.create(
    MCP_REMOTE_ENDPOINT,
    ns,
    obj('MCPRemoteEndpoint', 'secured', {
      ...direct,
      remoteURL: 'https://secured.example.com/mcp',
      externalAuthConfigRef: { name: 'api-key-header' },
      caBundleRef: { name: 'private-ca', key: 'ca.crt' },
      headerForward: {
        addPlaintextHeaders: { 'X-Tenant': 'rbac' },
        addHeadersFromSecret: [{ headerName: 'X-Extra-Key', valueSecretRef: { name: 'api-key', key: 'token' } }],
      },
    }),
  );
  await kube.create(
    MCP_REMOTE_ENDPOINT,
    ns,
    obj('MCPRemoteEndpoint', FAILING_ENDPOINT, {
      ...direct,
      remoteURL: 'https://broken.example.com/mcp',
      externalAuthConfigRef: { name: 'does-not-exist' },
    }),
  );
  await kube.create(
    MCP_REMOTE_ENDPOINT,
    ns,
    obj('MCPRemoteEndpoint', PROXY_ENDPOINT, {
      type: 'proxy',
      remoteURL: 'https://internal.example.com/mcp',
      transport: 'streamable-http',
      groupRef: GROUP,
      externalAuthConfigRef: { name: 'sts' },
      toolConfigRef: { name: 'read-only' },
      proxyConfig: { oidcConfig: { type: 'kubernetes' } },
    }),
  );
  await kube.create(REMOTE_PROXY, ns, {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPRemoteProxy',
    metadata: { name: 'legacy-proxy' },
    spec: { remoteURL: 'https://legacy.example.com/mcp', transport: 'streamable-http' },
  });
  await kube.create(SERVER_ENTRY, ns, {
    apiVersion: 'toolhive.stacklok.dev/v1beta1',
    kind: 'MCPServerEntry',
    metadata: { name: 'legacy-entry' },
    spec: { remoteURL: 'https://entry.example.com/mcp', transport: 'streamable-http', groupRef: GROUP },
  });
  await kube.create(
    VIRTUAL_MCP_SERVER,
    ns,
    obj('VirtualMCPServer', 'static-gw', {
      groupRef: GROUP,
      incomingAuth: { type: 'anonymous' },
      aggregation: { tools: [{ backend: 'public', toolConfigRef: { name: 'read-only' } }] },
    }),
  );
  await kube.create(
    VIRTUAL_MCP_SERVER,
    ns,
    obj('VirtualMCPServer', 'dynamic-gw', {
      groupRef: GROUP,
      incomingAuth: { type: 'oidc', oidc: { issuer: 'https://login.example.com', audience: 'gw' } },
      outgoingAuth: { source: 'discovered' },
    }),
  );
}

const phase = async (kube: KubeObjects, res: ResourceId, ns: string, name: string) =>
  (await getOrUndefined(kube, res, ns, name))?.status?.phase as string | undefined;

async function waitPhase(
  kube: KubeObjects,
  res: ResourceId,
  ns: string,
  name: string,
  want: string,
  ms: number,
  deployment?: string,
) {
  let last: string | undefined;
  await eventually(
    `${res.kind} ${ns}/${name} phase ${want}`,
    async () => {
      // Play the Deployment controller for every new generation (a gateway rolls when its group's members change).
      if (deployment) {
        const d = await kube.get(DEPLOYMENT, ns, deployment);
        if (d.status?.observedGeneration !== d.metadata.generation) await markDeploymentAvailable(kube, ns, deployment);
      }
      last = await phase(kube, res, ns, name);
      return last === want ? true : undefined;
    },
    { timeoutMs: ms },
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last phase: ${String(last)})`);
  });
}

/**
 * Drives the scenario to its end state and checks it: direct endpoints Ready, the failing one Failed, the proxy Ready
 * once its Deployment is available and then gone (finalizer ran, owned objects deleted), the gateways Ready.
 * A missing RBAC verb shows here as a phase that never arrives.
 */
/** The Warning events on the deprecated objects, by object name. */
export interface DeprecationEvent {
  metadata: { name: string };
  reason: string;
  type: string;
  note: string;
  series?: { count: number; lastObservedTime: string };
  regarding: { name: string; kind: string; apiVersion: string };
}

export async function deprecationEvents(api: KubeApi, ns: string): Promise<DeprecationEvent[]> {
  const list = await api.request<{ items: DeprecationEvent[] }>({
    method: 'GET',
    path: `/apis/${EVENT.group}/${EVENT.version}/namespaces/${ns}/${EVENT.plural}`,
  });
  return list.items.filter((e) => e.reason === 'Deprecated');
}

export async function driveScenario(kube: KubeObjects, ns: string, timeoutMs = 45_000): Promise<void> {
  for (const name of DIRECT_ENDPOINTS) await waitPhase(kube, MCP_REMOTE_ENDPOINT, ns, name, 'Ready', timeoutMs);
  await waitPhase(kube, MCP_REMOTE_ENDPOINT, ns, FAILING_ENDPOINT, 'Failed', timeoutMs);

  const proxyName = `mcpre-${PROXY_ENDPOINT}`;
  await eventually('proxy Deployment', () => getOrUndefined(kube, DEPLOYMENT, ns, proxyName), { timeoutMs }).catch(
    async (err: Error) => {
      const e = await getOrUndefined(kube, MCP_REMOTE_ENDPOINT, ns, PROXY_ENDPOINT);
      throw new Error(`${err.message}; endpoint status: ${JSON.stringify(e?.status)}`);
    },
  );
  await waitPhase(kube, MCP_REMOTE_ENDPOINT, ns, PROXY_ENDPOINT, 'Ready', timeoutMs, proxyName);

  for (const gw of VMCPS) {
    const name = `vmcp-${gw}`;
    await eventually(`gateway Deployment ${name}`, () => getOrUndefined(kube, DEPLOYMENT, ns, name), { timeoutMs });
    await waitPhase(kube, VIRTUAL_MCP_SERVER, ns, gw, 'Ready', timeoutMs, name);
  }

  await kube.delete(MCP_REMOTE_ENDPOINT, ns, PROXY_ENDPOINT);
  await eventually(
    'proxy endpoint and its objects deleted',
    async () => {
      const left = await Promise.all([
        getOrUndefined(kube, MCP_REMOTE_ENDPOINT, ns, PROXY_ENDPOINT),
        getOrUndefined(kube, DEPLOYMENT, ns, proxyName),
        getOrUndefined(kube, SERVICE, ns, proxyName),
        getOrUndefined(kube, SERVICE_ACCOUNT, ns, proxyName),
      ]);
      return left.every((o) => o === undefined) ? true : undefined;
    },
    { timeoutMs },
  );
}
