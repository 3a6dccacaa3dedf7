// Shared set-up for the VirtualMCPServer integration tests: a real control plane, REST helpers, the controller run
// in-process (silent logs unless MCPRE_TEST_LOG is set), bounded polling, driving a Deployment's status the way the
// Deployment controller would (there is none), ServiceAccount tokens, small MCP backends on loopback, and the wait for
// a controller with nothing left to do that "nothing was written" assertions need.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { pino } from 'pino';
import { z } from 'zod';
import { KubeApiError as ApiError, type KubeRequest, Resources } from '../../../src/actors/kube/kube-api.ts';
import { MCP_GROUP, type ResourceId, VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import {
  startVmcpController,
  type VmcpController,
  type VmcpControllerOptions,
} from '../../../src/controllers/vmcp/controller.ts';
import type { VmcpInformerName } from '../../../src/controllers/vmcp/informers.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { registryAtRest } from '../../support/at-rest.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { DEPLOYMENT } from '../../support/deployment-status.ts';
import { eventually } from '../../support/eventually.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';

export const GV = 'toolhive.stacklok.dev/v1alpha1';
export { DEPLOYMENT, markDeploymentAvailable } from '../../support/deployment-status.ts';
export { condition, eventually } from '../../support/eventually.ts';
export const CONFIG_MAP: ResourceId = Resources.configMap;
export const SECRET: ResourceId = Resources.secret;
export const SERVICE: ResourceId = Resources.service;
export const SERVICE_ACCOUNT: ResourceId = Resources.serviceAccount;
export const ROLE: ResourceId = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role' };
export const ROLE_BINDING: ResourceId = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'rolebindings',
  kind: 'RoleBinding',
};

export interface Env {
  cp: ControlPlane;
  kube: KubeObjects;
  controller(opts?: Partial<VmcpControllerOptions>): Promise<VmcpController>;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const cp = await startControlPlane();
  const kube = kubeObjects(cp.kc);
  const controllers: VmcpController[] = [];
  return {
    cp,
    kube,
    async controller(extra = {}) {
      const c = startVmcpController({
        kubeconfig: cp.kc,
        logger: pino({ level: process.env.MCPRE_TEST_LOG ?? 'silent' }),
        settings: { image: 'mcpre:test' },
        retry: { baseMs: 100, maxMs: 2000 },
        ...extra,
      });
      controllers.push(c);
      await c.ready;
      return c;
    },
    async stop() {
      // allSettled: a test may have stopped its controller already.
      await Promise.allSettled(controllers.map((c) => c.stop(2000)));
      await kube.close();
      await cp.stop();
    },
  };
}

/** The controller's informer for each resource a test may name in `waitUntilSettled`. */
const CACHED = {
  vmcps: VIRTUAL_MCP_SERVER,
  groups: MCP_GROUP,
  configMaps: CONFIG_MAP,
  deployments: DEPLOYMENT,
} as const satisfies Partial<Record<VmcpInformerName, ResourceId>>;

/**
 * Waits until the controller has nothing left to do about these objects (`[informer, namespace, name]`): its caches
 * hold each at the version the API server has now (every watch event for them handled, and the wake-ups it caused
 * sent), every VirtualMCPServer actor is at rest, and no write went out while this was checked.
 */
export async function waitUntilSettled(
  env: Env,
  controller: VmcpController,
  objects: Array<[keyof typeof CACHED, string, string]>,
): Promise<void> {
  const writes = () =>
    controller.stats.statusWrites + Object.values(controller.stats.applied).reduce((a, b) => a + b, 0);
  await eventually('the controller to settle', async () => {
    if (!registryAtRest(controller.registry)) return undefined;
    const before = writes();
    for (const [informer, ns, name] of objects) {
      const live = await env.kube.get(CACHED[informer], ns, name);
      const cached = controller.informers[informer].store.get(ns, name);
      if (cached?.metadata.resourceVersion !== live.metadata.resourceVersion) return undefined;
    }
    return registryAtRest(controller.registry) && writes() === before ? true : undefined;
  });
}

export const group = (name: string) => ({ apiVersion: GV, kind: 'MCPGroup', metadata: { name }, spec: {} });

export function endpoint(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: GV, kind: 'MCPRemoteEndpoint', metadata: { name }, spec };
}

export function vmcp(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: GV, kind: 'VirtualMCPServer', metadata: { name }, spec };
}

export const proxySpec = (groupRef: string, over: Record<string, unknown> = {}) => ({
  type: 'proxy',
  remoteURL: 'https://remote.example.com/mcp',
  transport: 'streamable-http',
  groupRef,
  proxyConfig: { oidcConfig: { type: 'kubernetes' } },
  ...over,
});

/** What the endpoint reconciler would publish once an endpoint is usable (it does not run in these tests). */
export async function markEndpointReady(kube: KubeObjects, ns: string, name: string, url: string): Promise<void> {
  const { MCP_REMOTE_ENDPOINT } = await import('../../../src/api/resources.ts');
  await kube.mergePatchStatus(MCP_REMOTE_ENDPOINT, ns, name, { status: { phase: 'Ready', url } });
}

/** A kubeconfig for a ServiceAccount, with a token from the TokenRequest API: requests run under its RBAC. */
export async function serviceAccountKubeconfig(env: Env, ns: string, sa: string): Promise<string> {
  const res = await env.cp.running.admin.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  if (res.status >= 300) throw new Error(`TokenRequest for ${ns}/${sa}: HTTP ${res.status} ${res.text}`);
  const token = (JSON.parse(res.text) as { status: { token: string } }).status.token;
  const cluster = env.cp.kc.getCurrentCluster();
  if (!cluster?.caData) throw new Error('admin kubeconfig has no CA data');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test\n  cluster:\n    server: ${cluster.server}\n    certificate-authority-data: ${cluster.caData}`,
    'users:',
    `- name: ${sa}\n  user:\n    token: ${token}`,
    'contexts:',
    `- name: sa\n  context:\n    cluster: test\n    user: ${sa}\n    namespace: ${ns}`,
    'current-context: sa',
    '',
  ].join('\n');
}

/** An API client authenticated as the ServiceAccount (bearer token), to check what its Role allows. */
export async function asServiceAccount(env: Env, ns: string, sa: string): Promise<KubeHttp> {
  const kc = new KubeConfig();
  kc.loadFromString(await serviceAccountKubeconfig(env, ns, sa));
  return createKubeHttp(kc);
}

/** The HTTP status of a request made as someone: 200-class on success, the error's code otherwise. */
export async function statusOf(api: KubeHttp, req: KubeRequest): Promise<number> {
  try {
    await api.request(req);
    return 200;
  } catch (err) {
    if (err instanceof ApiError && err.code !== undefined) return err.code;
    throw err;
  }
}

export interface McpBackend {
  url: string;
  /** Per HTTP request: whether the required headers matched (values are never recorded). */
  seen: boolean[];
  /** Per `whoami` call: the value of the `recordHeader` header on the HTTP request that carried it. */
  calls: Array<string | undefined>;
  /** Sessions the backend created, in order (one per initialize it accepted). */
  sessions: string[];
  close(): Promise<void>;
}

/**
 * An MCP server on loopback with one tool, `whoami`, answering with `label`. With `requireHeaders`, a request
 * lacking any of them gets 401 (as a remote with an API key would answer); a header may accept several values (the
 * test may change the list: a key added for a rotation, the old one revoked after). With `tls`, it serves HTTPS.
 */
export async function startMcpBackend(opts: {
  label: string;
  requireHeaders?: Record<string, string | string[]>;
  /** A header whose value each `whoami` call records (test values only). */
  recordHeader?: string;
  tls?: { certPem: string; keyPem: string };
}): Promise<McpBackend> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const seen: boolean[] = [];
  const calls: Array<string | undefined> = [];
  const sessions: string[] = [];
  const accepts = (got: unknown, wanted: string | string[]) =>
    typeof got === 'string' && (Array.isArray(wanted) ? wanted.includes(got) : got === wanted);
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const ok = Object.entries(opts.requireHeaders ?? {}).every(([h, v]) => accepts(req.headers[h.toLowerCase()], v));
    seen.push(ok);
    if (!ok) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"missing or wrong credentials"}');
      return;
    }
    const id = req.headers['mcp-session-id'];
    let t = typeof id === 'string' ? transports.get(id) : undefined;
    if (!t) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => {
          transports.set(sid, created);
          sessions.push(sid);
        },
      });
      const server = new McpServer({ name: `backend-${opts.label}`, version: '1' });
      server.registerTool(
        'whoami',
        { description: `says ${opts.label}`, inputSchema: { greeting: z.string().optional() } },
        async ({ greeting }, extra) => {
          if (opts.recordHeader) {
            const value = extra.requestInfo?.headers[opts.recordHeader.toLowerCase()];
            calls.push(typeof value === 'string' ? value : undefined);
          }
          return { content: [{ type: 'text', text: `${greeting ?? 'hello'} from ${opts.label}` }] };
        },
      );
      await server.connect(created);
      t = created;
    }
    await t.handleRequest(req, res);
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, (q, s) => void handler(q, s))
    : createHttpServer((q, s) => void handler(q, s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/mcp`,
    seen,
    calls,
    sessions,
    close: async () => {
      const closed = new Promise((r) => server.close(r));
      // Gateways keep streams open; close them so the server can finish closing.
      server.closeAllConnections();
      await closed;
    },
  };
}
