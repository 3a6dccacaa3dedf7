// VirtualMCPServer on the real control plane beyond the happy static path: discovered mode (the operator only grants
// read access, and the gateway run under that ServiceAccount discovers and serves the group), a missing group, a
// config the gateway would refuse, an endpoint left out until its Secret exists, the replica count following the
// group's direct endpoints, and `mcpre operator` running the controller as a process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT, VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import type { VmcpController } from '../../../src/controllers/vmcp/controller.ts';
import { type ModernServer, startModernServer } from '../../fixtures/mcp/modern-server.ts';
import { type RunningChild, servingUrl, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';
import type { KubeObject } from '../../support/kube-objects.ts';
import {
  asServiceAccount,
  CONFIG_MAP,
  condition,
  DEPLOYMENT,
  type Env,
  endpoint,
  eventually,
  group,
  type McpBackend,
  markEndpointReady,
  proxySpec,
  ROLE,
  SECRET,
  serviceAccountKubeconfig,
  startEnv,
  startMcpBackend,
  statusOf,
  vmcp,
} from './harness.ts';

let env: Env;
let controller: VmcpController;
const children: RunningChild[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  env = await startEnv();
  controller = await env.controller();
}, 120_000);

afterAll(async () => {
  for (const c of children) await c.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await env?.stop();
});

const waitFor = (ns: string, name: string, what: string, check: (v: KubeObject) => boolean) =>
  eventually(`${ns}/${name}: ${what}`, async () => {
    const v = await env.kube.get(VIRTUAL_MCP_SERVER, ns, name);
    return check(v) ? v : undefined;
  });
const configOf = async (ns: string, name: string) =>
  parseYaml(
    ((await env.kube.get(CONFIG_MAP, ns, `vmcp-${name}-config`)).data as Record<string, string>)['config.yaml'] ?? '',
  );
// biome-ignore lint/suspicious/noExplicitAny: tests read the container loosely
const container = (d: KubeObject): any => d.spec.template.spec.containers[0];

/** Starts `mcpre gateway` with the Deployment's args and plain env, on loopback, under the given kubeconfig. */
async function runGatewayLikeThePod(ns: string, name: string, kubeconfigText: string): Promise<URL> {
  const dir = await mkdtemp(join(tmpdir(), 'vmcp-dyn-'));
  dirs.push(dir);
  const d = await env.kube.get(DEPLOYMENT, ns, `vmcp-${name}`);
  const cm = await env.kube.get(CONFIG_MAP, ns, `vmcp-${name}-config`);
  await writeFile(join(dir, 'config.yaml'), (cm.data as Record<string, string>)['config.yaml'] ?? '');
  await writeFile(join(dir, 'kubeconfig'), kubeconfigText);
  const podEnv: Record<string, string> = { POD_NAME: `vmcp-${name}-pod-0` };
  for (const e of container(d).env) if (e.value !== undefined) podEnv[e.name] = e.value;
  const args = (container(d).args as string[]).map((a, i, all) =>
    all[i - 1] === '--config'
      ? join(dir, 'config.yaml')
      : all[i - 1] === '--port'
        ? '0'
        : all[i - 1] === '--address'
          ? '127.0.0.1'
          : a,
  );
  const gateway = spawnMcpre([...args, '--kubeconfig', join(dir, 'kubeconfig')], {
    ...process.env,
    KUBERNETES_SERVICE_HOST: '',
    ...podEnv,
  });
  children.push(gateway);
  const url = await servingUrl(gateway);
  await waitForReadyz(url, gateway);
  return url;
}

describe('discovered mode', () => {
  let ns: string;
  let backends: McpBackend[] = [];
  let modern: ModernServer | undefined;

  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await modern?.close();
  });

  it('lists no backends, passes the group to the gateway, and grants read access but no writes', async () => {
    ns = await env.cp.namespace('vmcp-dynamic');
    await env.kube.create(MCP_GROUP, ns, group('team'));
    await env.kube.create(
      VIRTUAL_MCP_SERVER,
      ns,
      vmcp('dyn', { groupRef: 'team', outgoingAuth: { source: 'discovered' } }),
    );
    const d = await eventually('the Deployment', () => env.kube.get(DEPLOYMENT, ns, 'vmcp-dyn'));
    expect(container(d).args.slice(-4)).toEqual(['--namespace', ns, '--group', 'team']);
    expect((await configOf(ns, 'dyn')).backends).toEqual([]);
    const v = await waitFor(ns, 'dyn', 'BackendsConfigured', (o) => condition(o, 'BackendsConfigured') !== undefined);
    expect(condition(v, 'BackendsConfigured')).toMatchObject({ status: 'True', reason: 'DiscoveredByGateway' });
    const role = await env.kube.get(ROLE, ns, 'vmcp-dyn');
    expect(role.rules).toContainEqual({
      apiGroups: [''],
      resources: ['configmaps', 'secrets'],
      verbs: ['get', 'list', 'watch'],
    });

    await env.kube.create(SECRET, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      stringData: { k: 'v' },
    });
    const asGateway = await asServiceAccount(env, ns, 'vmcp-dyn');
    try {
      const base = `/api/v1/namespaces/${ns}`;
      const crs = `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${ns}`;
      expect(await statusOf(asGateway, { method: 'GET', path: `${base}/secrets/s` })).toBe(200);
      expect(await statusOf(asGateway, { method: 'GET', path: `${crs}/mcpremoteendpoints` })).toBe(200);
      expect(await statusOf(asGateway, { method: 'GET', path: `${crs}/mcptoolconfigs` })).toBe(200);
      expect(
        await statusOf(asGateway, {
          method: 'POST',
          path: `${base}/secrets`,
          body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
        }),
      ).toBe(403);
      expect(
        await statusOf(asGateway, {
          method: 'PATCH',
          path: `${crs}/virtualmcpservers/dyn`,
          contentType: 'application/merge-patch+json',
          body: { spec: { replicas: 5 } },
        }),
      ).toBe(403);
    } finally {
      await asGateway.close();
    }
  });

  it('the gateway, under only that Role, discovers the group and serves it, and reports back', async () => {
    backends = [await startMcpBackend({ label: 'alpha' }), await startMcpBackend({ label: 'beta' })];
    const [alpha, beta] = backends as [McpBackend, McpBackend];
    // A third member speaks only MCP 2026-07-28 (v2 SDK, no initialize): its revision is reported as well.
    modern = await startModernServer();
    await env.kube.create(
      MCP_REMOTE_ENDPOINT,
      ns,
      endpoint('alpha', { type: 'direct', remoteURL: alpha.url, transport: 'streamable-http', groupRef: 'team' }),
    );
    await env.kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('beta', proxySpec('team')));
    await env.kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('gamma', proxySpec('team')));
    await markEndpointReady(env.kube, ns, 'alpha', alpha.url);
    await markEndpointReady(env.kube, ns, 'beta', beta.url);
    await markEndpointReady(env.kube, ns, 'gamma', modern.url);
    // The direct member makes the operator add the Lease and hold replicas at 1; wait for that config.
    await eventually('the Lease in the config', async () => ((await configOf(ns, 'dyn')).lease ? true : undefined));
    const url = await runGatewayLikeThePod(ns, 'dyn', await serviceAccountKubeconfig(env, ns, 'vmcp-dyn'));
    const client = new Client({ name: 'vmcp-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
    const tools = await eventually('the three discovered backends', async () => {
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      return names.length === 7 ? names : undefined;
    });
    expect(tools).toEqual([
      'alpha_whoami',
      'beta_whoami',
      'gamma_add',
      'gamma_confirm',
      'gamma_echo',
      'gamma_locate',
      'gamma_summarize',
    ]);
    expect((await client.callTool({ name: 'beta_whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'hello from beta' },
    ]);
    expect((await client.callTool({ name: 'gamma_echo', arguments: { text: 'stateless' } })).content).toEqual([
      { type: 'text', text: 'stateless' },
    ]);
    await client.close();
    const reported = await waitFor(ns, 'dyn', 'three ready backends reported', (o) => o.status?.backendCount === 3);
    type Reported = { name: string; state: string; protocolVersion?: string };
    expect(reported.status.backends.map((b: Reported) => [b.name, b.state, b.protocolVersion])).toEqual([
      ['alpha', 'Ready', '2025-11-25'],
      ['beta', 'Ready', '2025-11-25'],
      ['gamma', 'Ready', '2026-07-28'],
    ]);
    // Endpoint sessions are written just after the VirtualMCPServer's list.
    const session = await eventually('the proxy endpoint session', async () => {
      const e = await env.kube.get(MCP_REMOTE_ENDPOINT, ns, 'beta');
      return e.status?.session?.state === 'Ready' ? e.status.session : undefined;
    });
    expect(session).toMatchObject({
      state: 'Ready',
      circuit: 'Closed',
      protocolVersion: '2025-11-25',
      reportedBy: expect.stringMatching(/^vmcp-dyn-pod-0/),
    });
    const modernSession = await eventually('the 2026-07-28 endpoint session', async () => {
      const e = await env.kube.get(MCP_REMOTE_ENDPOINT, ns, 'gamma');
      return e.status?.session?.state === 'Ready' ? e.status.session : undefined;
    });
    expect(modernSession).toMatchObject({ state: 'Ready', circuit: 'Closed', protocolVersion: '2026-07-28' });
    // The gateway spoke to it statelessly: no initialize, no session id, the revision on every request.
    expect(modern.control.count({ rpcMethod: 'initialize' })).toBe(0);
    expect(modern.control.requests.some((r) => r.headers['mcp-session-id'] !== undefined)).toBe(false);
  }, 60_000);
});

describe('failures a person can act on', () => {
  it('a missing group fails with GroupNotFound and nothing is created; creating the group recovers', async () => {
    const ns = await env.cp.namespace('vmcp-nogroup');
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'later' }));
    const v = await waitFor(ns, 'gw', 'phase Failed', (o) => o.status?.phase === 'Failed');
    expect(condition(v, 'GroupRefValid')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
    expect(condition(v, 'Ready').message).toContain('MCPGroup "later" (spec.groupRef) does not exist');
    await expect(env.kube.get(DEPLOYMENT, ns, 'vmcp-gw')).rejects.toMatchObject({ status: 404 });
    await env.kube.create(MCP_GROUP, ns, group('later'));
    await eventually('the Deployment after the group appears', () => env.kube.get(DEPLOYMENT, ns, 'vmcp-gw'));
    await waitFor(ns, 'gw', 'phase Pending', (o) => o.status?.phase === 'Pending');
  });

  it('a config the gateway would refuse is not written: ConfigurationValid says why', async () => {
    const ns = await env.cp.namespace('vmcp-invalid');
    await env.kube.create(MCP_GROUP, ns, group('team'));
    await env.kube.create(
      VIRTUAL_MCP_SERVER,
      ns,
      vmcp('gw', { groupRef: 'team', aggregation: { conflictResolution: 'priority' } }),
    );
    const v = await waitFor(
      ns,
      'gw',
      'ConfigurationValid False',
      (o) => condition(o, 'ConfigurationValid')?.status === 'False',
    );
    expect(condition(v, 'ConfigurationValid').reason).toBe('InvalidGatewayConfig');
    expect(condition(v, 'ConfigurationValid').message).toContain('needs a non-empty priorityOrder');
    expect(v.status.phase).toBe('Failed');
    await expect(env.kube.get(CONFIG_MAP, ns, 'vmcp-gw-config')).rejects.toMatchObject({ status: 404 });
  });

  it('an endpoint whose Secret is missing is left out (so the pod can start) until the Secret exists', async () => {
    const ns = await env.cp.namespace('vmcp-skip');
    await env.kube.create(MCP_GROUP, ns, group('team'));
    await env.kube.create(
      MCP_REMOTE_ENDPOINT,
      ns,
      endpoint('keyed', {
        type: 'direct',
        remoteURL: 'https://keyed.example.com/mcp',
        transport: 'streamable-http',
        groupRef: 'team',
        headerForward: { addHeadersFromSecret: [{ headerName: 'X-Key', valueSecretRef: { name: 'later', key: 'k' } }] },
      }),
    );
    await markEndpointReady(env.kube, ns, 'keyed', 'https://keyed.example.com/mcp');
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team' }));
    const v = await waitFor(
      ns,
      'gw',
      'BackendsConfigured False',
      (o) => condition(o, 'BackendsConfigured')?.status === 'False',
    );
    expect(condition(v, 'BackendsConfigured')).toMatchObject({ reason: 'BackendsSkipped' });
    expect(condition(v, 'BackendsConfigured').message).toContain('keyed: header X-Key: Secret "later" does not exist');
    expect((await configOf(ns, 'gw')).backends).toEqual([]);
    const d = await env.kube.get(DEPLOYMENT, ns, 'vmcp-gw');
    expect(JSON.stringify(d.spec.template.spec)).not.toContain('"later"');

    await env.kube.create(SECRET, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'later' },
      stringData: { k: 'v' },
    });
    await waitFor(ns, 'gw', 'BackendsConfigured True', (o) => condition(o, 'BackendsConfigured')?.status === 'True');
    expect((await configOf(ns, 'gw')).backends.map((b: { name: string }) => b.name)).toEqual(['keyed']);
    const rolled = await env.kube.get(DEPLOYMENT, ns, 'vmcp-gw');
    expect(rolled.spec.template.spec.volumes).toContainEqual({
      name: 'secret-later',
      secret: { secretName: 'later', items: [{ key: 'k', path: 'k' }], defaultMode: 0o440 },
    });
    expect((await configOf(ns, 'gw')).backends[0].headerFiles).toEqual({ 'X-Key': '/etc/mcpre/secrets/later/k' });
  });

  it('runs spec.replicas for a proxy-only group, and drops to 1 with a condition when a direct endpoint joins', async () => {
    const ns = await env.cp.namespace('vmcp-replicas');
    await env.kube.create(MCP_GROUP, ns, group('team'));
    await env.kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('wiki', proxySpec('team')));
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team', replicas: 3 }));
    await eventually('3 replicas', async () =>
      (await env.kube.get(DEPLOYMENT, ns, 'vmcp-gw')).spec.replicas === 3 ? true : undefined,
    );
    let v = await waitFor(
      ns,
      'gw',
      'SingleReplicaEnforced',
      (o) => condition(o, 'SingleReplicaEnforced') !== undefined,
    );
    expect(condition(v, 'SingleReplicaEnforced')).toMatchObject({ status: 'False', reason: 'NoDirectEndpoints' });
    expect((await configOf(ns, 'gw')).lease).toBeUndefined();

    await env.kube.create(
      MCP_REMOTE_ENDPOINT,
      ns,
      endpoint('direct-one', {
        type: 'direct',
        remoteURL: 'https://d.example.com/mcp',
        transport: 'sse',
        groupRef: 'team',
      }),
    );
    await eventually('1 replica', async () =>
      (await env.kube.get(DEPLOYMENT, ns, 'vmcp-gw')).spec.replicas === 1 ? true : undefined,
    );
    v = await waitFor(
      ns,
      'gw',
      'SingleReplicaEnforced True',
      (o) => condition(o, 'SingleReplicaEnforced')?.status === 'True',
    );
    expect(condition(v, 'SingleReplicaEnforced').message).toContain('spec.replicas asks for 3 but is held at 1');
    // The direct endpoint is not validated yet (no status.url), but the Lease already guards its future sessions.
    expect((await configOf(ns, 'gw')).lease).toEqual({ name: 'vmcp-gw', namespace: ns });
  });
});

describe('mcpre operator', () => {
  it('runs the VirtualMCPServer controller as part of the operator process', async () => {
    // The in-process controller watches every namespace: stop it, so only the operator process reconciles.
    await controller.stop(2000);
    const ns = await env.cp.namespace('vmcp-operator');
    await env.kube.create(MCP_GROUP, ns, group('team'));
    const operator = spawnMcpre(
      ['operator', '--kubeconfig', env.cp.kubeconfigPath, '--namespace', ns, '--proxy-image', 'mcpre:e2e'],
      { ...process.env, KUBERNETES_SERVICE_HOST: '' },
    );
    children.push(operator);
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('from-operator', { groupRef: 'team' }));
    const d = await eventually('the Deployment from the operator process', () =>
      env.kube.get(DEPLOYMENT, ns, 'vmcp-from-operator'),
    ).catch((err) => {
      throw new Error(`${err}\n${operator.stdout()}\n${operator.stderr()}`);
    });
    expect(container(d).image).toBe('mcpre:e2e');
    expect(await operator.stop(15_000)).toBe(0);
  }, 60_000);
});
