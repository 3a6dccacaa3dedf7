// Dynamic discovery on the real control plane: the gateway watches one MCPGroup's MCPRemoteEndpoints and what they
// reference, and its tools follow: a direct endpoint with a header from a Secret, a proxy endpoint that appears once
// its status.url is set and is kept when it empties, an endpoint of another group ignored, a deleted endpoint gone.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Resources } from '../../../src/actors/kube/kube-api.ts';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT } from '../../../src/api/resources.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type DynamicDiscovery, startDynamicDiscovery } from '../../../src/gateway/discovery/dynamic-discovery.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { until } from '../../support/eventually.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';

const SECRET = Resources.secret;

describe('gateway dynamic discovery', () => {
  let cp: ControlPlane;
  let kube: KubeObjects;
  let api: KubeHttp;
  let ns: string;
  let alpha: DemoBackend;
  let beta: DemoBackend;
  let gateway: RunningGateway;
  let discovery: DynamicDiscovery;
  let client: Client;
  /** Applies of the group's backends to the gateway: begun, and finished. */
  const applies = { begun: 0, finished: 0 };

  const toolNames = async () => (await client.listTools()).tools.map((t) => t.name);
  const endpoint = (name: string, spec: object) => ({
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPRemoteEndpoint',
    metadata: { name },
    spec: { transport: 'streamable-http', groupRef: 'team', ...spec },
  });

  beforeAll(async () => {
    cp = await startControlPlane();
    kube = kubeObjects(cp.kc);
    ns = await cp.namespace('gw-dyn');
    alpha = await startDemoBackend({ label: 'alpha' });
    beta = await startDemoBackend({ label: 'beta' });
    await kube.create(MCP_GROUP, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPGroup',
      metadata: { name: 'team' },
      spec: {},
    });
    await kube.create(SECRET, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys' },
      stringData: { api: 'k-1' },
    });
    await kube.create(
      MCP_REMOTE_ENDPOINT,
      ns,
      endpoint('alpha', {
        type: 'direct',
        remoteURL: alpha.url.href,
        headerForward: {
          addHeadersFromSecret: [{ headerName: 'X-Api-Key', valueSecretRef: { name: 'keys', key: 'api' } }],
        },
      }),
    );
    await kube.create(
      MCP_REMOTE_ENDPOINT,
      ns,
      endpoint('beta', {
        type: 'proxy',
        remoteURL: 'https://beta-remote.example/mcp',
        proxyConfig: { oidcConfig: { type: 'kubernetes', kubernetes: { audience: 'beta' } } },
      }),
    );
    await kube.create(
      MCP_REMOTE_ENDPOINT,
      ns,
      endpoint('stranger', { type: 'direct', remoteURL: alpha.url.href, groupRef: 'other' }),
    );

    gateway = await startGateway({ config: validateGatewayConfig({}), logger: pino({ level: 'silent' }) });
    api = createKubeHttp(cp.kc);
    discovery = startDynamicDiscovery({
      api,
      namespace: ns,
      group: 'team',
      logger: pino({ level: 'silent' }),
      apply: async (d) => {
        applies.begun += 1;
        try {
          await gateway.applyBackends(d);
        } finally {
          applies.finished += 1;
        }
      },
    });
    await discovery.synced;
    client = new Client({ name: 'dyn', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
  });

  afterAll(async () => {
    await client?.close();
    await discovery?.stop();
    await gateway?.close();
    await api?.close();
    await kube?.close();
    await Promise.allSettled([alpha?.close(), beta?.close()]);
    await cp?.stop();
  });

  it('serves the direct member, ignores other groups, and shows the proxy as not yet available', async () => {
    await until('alpha tools', async () => (await toolNames()).includes('alpha_echo'));
    const names = await toolNames();
    expect(names.some((n) => n.startsWith('stranger_'))).toBe(false);
    expect(gateway.backends()).toEqual([
      { name: 'alpha', type: 'direct', state: 'ready', protocolVersion: '2025-11-25' },
      {
        name: 'beta',
        type: 'proxy',
        state: 'excluded',
        reason: 'the proxy is not available yet (status.url is empty)',
      },
    ]);
    const r = await client.callTool({ name: 'alpha_echo', arguments: { message: 'discovered' } });
    expect(r.content).toEqual([{ type: 'text', text: 'discovered' }]);
  });

  it('adds the proxy once status.url is set, and keeps it when status.url empties', async () => {
    await kube.mergePatchStatus(MCP_REMOTE_ENDPOINT, ns, 'beta', { status: { url: beta.url.href } });
    await until('beta tools', async () => (await toolNames()).includes('beta_echo'));
    // Nothing else changes in this namespace meanwhile: the next apply is the one the emptied status.url caused.
    const begun = applies.begun;
    await kube.mergePatchStatus(MCP_REMOTE_ENDPOINT, ns, 'beta', { status: { url: null } });
    await until(
      'the group applied again after status.url emptied',
      () => applies.begun > begun && applies.finished === applies.begun,
    );
    expect(await toolNames()).toContain('beta_echo');
    expect(gateway.backends().find((b) => b.name === 'beta')?.state).toBe('ready');
  });

  it('leaves out an endpoint whose Secret disappears, brings it back with the Secret, and drops a deleted one', async () => {
    await kube.delete(SECRET, ns, 'keys');
    await until('alpha excluded', () => gateway.backends().some((b) => b.name === 'alpha' && b.state === 'excluded'));
    expect(gateway.backends().find((b) => b.name === 'alpha')?.reason).toBe('header X-Api-Key: Secret keys not found');
    expect((await toolNames()).some((n) => n.startsWith('alpha_'))).toBe(false);
    await kube.create(SECRET, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys' },
      stringData: { api: 'k-2' },
    });
    await until('alpha back', async () => (await toolNames()).includes('alpha_echo'));
    await kube.delete(MCP_REMOTE_ENDPOINT, ns, 'alpha');
    await until('alpha gone', () => !gateway.backends().some((b) => b.name === 'alpha'));
    expect((await toolNames()).some((n) => n.startsWith('alpha_'))).toBe(false);
  });

  it('leaves out an endpoint asking for a reserved header, with the reason, and serves it once the header is fixed', async () => {
    await kube.create(
      MCP_REMOTE_ENDPOINT,
      ns,
      endpoint('forged', {
        type: 'direct',
        remoteURL: alpha.url.href,
        headerForward: { addPlaintextHeaders: { 'X-Forwarded-For': '10.0.0.1' } },
      }),
    );
    await until('forged excluded', () => gateway.backends().some((b) => b.name === 'forged'));
    expect(gateway.backends().find((b) => b.name === 'forged')).toEqual({
      name: 'forged',
      type: 'direct',
      state: 'excluded',
      reason:
        'header "X-Forwarded-For" (addPlaintextHeaders) is reserved: hop-by-hop, Host, framing, forwarding (Forwarded, X-Forwarded-*) and MCP transport headers are set by the gateway, never by configuration',
    });
    expect(gateway.backends().find((b) => b.name === 'beta')?.state).toBe('ready');
    await kube.mergePatch(MCP_REMOTE_ENDPOINT, ns, 'forged', {
      spec: { headerForward: { addPlaintextHeaders: { 'X-Forwarded-For': null, 'X-Origin': 'team' } } },
    });
    await until('forged served', async () => (await toolNames()).includes('forged_echo'));
  });
});
