// A dynamic-mode gateway process (`mcpre gateway --kubeconfig --namespace --group`) on the real control plane, faced
// with MCPRemoteEndpoints whose URLs no client can use. Today's CRD refuses such URLs at admission, but objects stored
// under an older, looser CRD (`pattern: ^https?://` only) keep them, so the test installs that older schema, stores
// the hostile objects, and puts the current CRD back for the restart. Throughout, the gateway must keep serving its
// healthy backends and show the bad one as excluded, with the reason, in /readyz, /metrics and the live view
// (/debug/backends.json); a restart with the bad object present must come up and serve too. An endpoint the operator
// marked Failed is left out with its reason.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT } from '../../../src/api/resources.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../../support/control-plane.ts';
import { type EndpointCrdVersions, endpointCrdVersions } from '../../support/endpoint-crd-versions.ts';
import { eventually } from '../../support/eventually.ts';
import { KubeApiError, type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';

/** Every URL that once made the backend session throw inside the gateway and the process exit. */
const HOSTILE = ['http://', 'https://', 'http://a b/', 'http://[::1', 'http://:80/', 'http://a:99999/', 'https://%/'];

interface BackendStatus {
  name: string;
  state: string;
  reason?: string;
}

interface Gateway {
  child: ChildProcess;
  url: URL;
  stderr: () => string;
  exited: Promise<number | null>;
}

describe('a dynamic-mode gateway faced with endpoints it cannot use', () => {
  let cp: ControlPlane;
  let kube: KubeObjects;
  let ns: string;
  let alpha: DemoBackend;
  let beta: DemoBackend;
  const gateways: Gateway[] = [];

  const endpoint = (name: string, remoteURL: string) => ({
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPRemoteEndpoint',
    metadata: { name },
    spec: { type: 'direct', remoteURL, transport: 'streamable-http', groupRef: 'team' },
  });

  let crdVersions: EndpointCrdVersions;

  const admits = async (url: string) => {
    try {
      await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('probe', url), { dryRun: true });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 422) return false;
      throw err;
    }
  };

  async function startGatewayProcess(): Promise<Gateway> {
    const child = spawn(
      process.execPath,
      [
        'src/cli.ts',
        'gateway',
        '--port',
        '0',
        '--kubeconfig',
        cp.kubeconfigPath,
        '--namespace',
        ns,
        '--group',
        'team',
        '--log-level',
        'info',
        '--debug',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no gateway URL within 20 s: ${stderr}`)), 20_000);
      child.stdout!.on('data', (d) => {
        stdout += d;
        const m = /serving MCP at (\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(new URL(m[1]!));
        }
      });
      void exited.then((code) => reject(new Error(`gateway exited ${code}: ${stderr}`)));
    });
    const gateway = { child, url, stderr: () => stderr, exited };
    gateways.push(gateway);
    return gateway;
  }

  async function readyz(gw: Gateway): Promise<{ status: number; backends: BackendStatus[] }> {
    const res = await fetch(new URL('/readyz', gw.url), { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { backends?: BackendStatus[] };
    return { status: res.status, backends: body.backends ?? [] };
  }

  const backendOf = async (gw: Gateway, name: string) => (await readyz(gw)).backends.find((b) => b.name === name);

  /** The gateway process is alive, and a client calling both healthy backends through it gets both answers. */
  async function servesHealthyBackends(gw: Gateway): Promise<void> {
    expect(gw.child.exitCode, gw.stderr()).toBeNull();
    const client = new Client({ name: 'hostile-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gw.url)));
    try {
      for (const label of ['alpha', 'beta']) {
        const r = await client.callTool({ name: `${label}_echo`, arguments: { message: `still ${label}` } });
        expect(r.content).toEqual([{ type: 'text', text: `still ${label}` }]);
      }
    } finally {
      await client.close();
    }
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    kube = kubeObjects(cp.kc);
    ns = await cp.namespace('gw-hostile');
    crdVersions = await endpointCrdVersions(cp, kube, ns);
    alpha = await startDemoBackend({ label: 'alpha' });
    beta = await startDemoBackend({ label: 'beta' });
    await kube.create(MCP_GROUP, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPGroup',
      metadata: { name: 'team' },
      spec: {},
    });
    await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('alpha', alpha.url.href));
    await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('beta', beta.url.href));
  });

  afterAll(async () => {
    for (const gw of gateways) if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await Promise.allSettled([alpha?.close(), beta?.close()]);
    await kube?.close();
    await cp?.stop();
    await crdVersions?.close();
  });

  it('the current CRD refuses every hostile URL at admission', async () => {
    for (const url of HOSTILE) expect(await admits(url), url).toBe(false);
  });

  it('keeps serving while an endpoint with an unusable URL is created, changed through every hostile URL, and deleted', async () => {
    await crdVersions.installOlder();
    const gw = await startGatewayProcess();
    await eventually('both healthy backends ready', async () => {
      const { status, backends } = await readyz(gw);
      return status === 200 && backends.filter((b) => b.state === 'ready').length === 2 ? true : undefined;
    });
    await servesHealthyBackends(gw);

    await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('broken', HOSTILE[0]!));
    for (const [i, url] of HOSTILE.entries()) {
      if (i > 0) await kube.mergePatch(MCP_REMOTE_ENDPOINT, ns, 'broken', { spec: { remoteURL: url } });
      const shown = JSON.stringify(url);
      const status = await eventually(`broken excluded for ${shown}`, async () => {
        const b = await backendOf(gw, 'broken');
        return b?.state === 'excluded' && b.reason?.includes(shown) ? b : undefined;
      });
      expect(status.reason).toMatch(/^spec\.remoteURL /);
      await servesHealthyBackends(gw);
    }

    // The live view lists it with the same reason (it never had a session actor to show).
    const live = (await (await fetch(new URL('/debug/backends.json', gw.url))).json()) as { backends: BackendStatus[] };
    expect(live.backends.find((b) => b.name === 'broken')).toEqual({
      name: 'broken',
      type: 'direct',
      state: 'excluded',
      reason: (await backendOf(gw, 'broken'))?.reason,
    });
    expect(await (await fetch(new URL('/debug/actors', gw.url))).text()).toContain('/debug/backends.json');

    // The reason is in the metrics too, one series for the backend, with what is wrong.
    const metrics = await (await fetch(new URL('/metrics', gw.url))).text();
    const series = metrics.split('\n').filter((l) => l.startsWith('mcpre_gateway_backend_state{backend="broken"'));
    expect(series).toHaveLength(1);
    expect(series[0]).toContain('state="excluded"');
    expect(series[0]).toContain('has \\"%\\" as its host');

    // Credentials in a stored URL are refused without being repeated anywhere the gateway reports.
    await kube.mergePatch(MCP_REMOTE_ENDPOINT, ns, 'broken', {
      spec: { remoteURL: 'https://user:hunter2@mcp.example.com/mcp' },
    });
    const credentialed = await eventually('broken excluded for its credentials', async () => {
      const b = await backendOf(gw, 'broken');
      return b?.reason?.includes('carries credentials') ? b : undefined;
    });
    expect(credentialed.state).toBe('excluded');
    expect(JSON.stringify(await readyz(gw))).not.toContain('hunter2');
    expect(await (await fetch(new URL('/metrics', gw.url))).text()).not.toContain('hunter2');
    expect(gw.stderr()).not.toContain('hunter2');

    await kube.delete(MCP_REMOTE_ENDPOINT, ns, 'broken');
    await eventually('broken gone', async () => ((await backendOf(gw, 'broken')) ? undefined : true));
    expect((await readyz(gw)).status).toBe(200);
    await servesHealthyBackends(gw);
  });

  it('restarts with the bad object stored and serves the healthy backends', async () => {
    await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('broken', 'http://[::1'));
    // The upgrade: today's CRD is back, the object it would refuse stays in etcd.
    await crdVersions.installCurrent();
    expect((await kube.get(MCP_REMOTE_ENDPOINT, ns, 'broken')).spec.remoteURL).toBe('http://[::1');

    const old = gateways.at(-1)!;
    old.child.kill('SIGTERM');
    expect(await old.exited).toBe(0);

    const gw = await startGatewayProcess();
    const { backends } = await eventually('the restarted gateway ready with both healthy backends', async () => {
      const r = await readyz(gw);
      return r.status === 200 && r.backends.filter((b) => b.state === 'ready').length === 2 ? r : undefined;
    });
    expect(backends.find((b) => b.name === 'broken')).toMatchObject({
      state: 'excluded',
      reason: expect.stringContaining('spec.remoteURL "http://[::1"'),
    });
    await servesHealthyBackends(gw);
  });

  it('leaves out an endpoint the operator marked Failed for its current generation, with the reason', async () => {
    const gw = gateways.at(-1)!;
    const beta = await kube.get(MCP_REMOTE_ENDPOINT, ns, 'beta');
    const generation = beta.metadata.generation;
    await kube.mergePatchStatus(MCP_REMOTE_ENDPOINT, ns, 'beta', {
      status: {
        phase: 'Failed',
        observedGeneration: generation,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'NameCollision',
            message: 'an MCPServer named "beta" already exists in this namespace',
            lastTransitionTime: '2026-01-01T00:00:00Z',
            observedGeneration: generation,
          },
        ],
      },
    });
    const excluded = await eventually('beta excluded by the operator verdict', async () => {
      const b = await backendOf(gw, 'beta');
      return b?.state === 'excluded' ? b : undefined;
    });
    expect(excluded.reason).toBe(
      'the operator marked this endpoint Failed (NameCollision: an MCPServer named "beta" already exists in this namespace)',
    );

    // The operator's verdict on the current spec is gone: the gateway serves beta again.
    await kube.mergePatchStatus(MCP_REMOTE_ENDPOINT, ns, 'beta', { status: { phase: 'Ready', conditions: null } });
    await eventually('beta back', async () => ((await backendOf(gw, 'beta'))?.state === 'ready' ? true : undefined));
    await servesHealthyBackends(gw);
  });
});

describe('a static gateway config with credentials in a backend URL', () => {
  it('is refused at load: non-zero exit, one message naming the backend and the field, the password nowhere', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpre-gw-static-'));
    try {
      const config = join(dir, 'gateway.yaml');
      await writeFile(
        config,
        stringify({
          backends: [
            { name: 'docs', url: 'https://docs.example.com/mcp' },
            { name: 'github', url: 'https://octocat:hunter2@api.example.com/mcp' },
          ],
        }),
      );
      const child = spawn(process.execPath, ['src/cli.ts', 'gateway', '--port', '0', '--config', config], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      expect(stdout).not.toContain('serving MCP');
      expect(stderr).toContain(`mcpre: ${config} is invalid:`);
      expect(stderr).toContain('backends[1].url (backend "github"): the URL "https://***@api.example.com/mcp"');
      expect(stderr).toContain('carries credentials (user:password@)');
      expect(stderr).not.toContain('hunter2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
