// A VirtualMCPServer in static (inline) mode on the real control plane, over a group with a direct endpoint that uses
// addHeadersFromSecret and caBundleRef and a proxy endpoint: the ConfigMap holds file paths only (no secret value),
// the Deployment mounts the Secret read-only and the CA volume at the RFC path and sets no secret variable, replicas
// are held at 1 with a condition, a changed secret reference rolls the pods while an unchanged reconcile does not, and
// the gateway started from that ConfigMap and Deployment (as the pod would be: volumes laid out as the kubelet writes
// them, under the ServiceAccount's RBAC) serves both backends, reports their session state into the VirtualMCPServer
// and onto each endpoint, and follows a rotated Secret without a restart and without losing a client session.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT, VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import type { VmcpController } from '../../../src/controllers/vmcp/controller.ts';
import { type RunningChild, servingUrl, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';
import type { KubeObject } from '../../support/kube-objects.ts';
import { waitForRotatedValue, writeAtomicVolume } from '../../support/kubelet-volume.ts';
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
  markDeploymentAvailable,
  markEndpointReady,
  proxySpec,
  ROLE,
  ROLE_BINDING,
  SECRET,
  SERVICE,
  SERVICE_ACCOUNT,
  serviceAccountKubeconfig,
  startEnv,
  startMcpBackend,
  statusOf,
  vmcp,
  waitUntilSettled,
} from './harness.ts';

// Unique per run: the CA bundle is written where the kubelet would mount it, /etc/toolhive/ca-bundles/<endpoint>.
const direct = `search-${process.pid}`;
const apiKey = `key-${randomUUID()}`;
const apiKeyV2 = `key2-${randomUUID()}`;
const apiKeyRotated = `key-rotated-${randomUUID()}`;
/** The keys the remote accepts: a rotation adds the new one, and revokes the old one once nobody uses it. */
const acceptedKeys = [apiKey];
const secretFile = '/etc/mcpre/secrets/search-credentials/api-key';

let env: Env;
let ns: string;
let controller: VmcpController;
let tlsBackend: McpBackend;
let proxyBackend: McpBackend;

const get = (kind: Parameters<Env['kube']['get']>[0], name: string) => env.kube.get(kind, ns, name);
const data = (obj: KubeObject): Record<string, string> => (obj.data ?? {}) as Record<string, string>;
// biome-ignore lint/suspicious/noExplicitAny: tests read the container loosely
const container = (d: KubeObject): any => d.spec.template.spec.containers[0];

beforeAll(async () => {
  env = await startEnv();
  ns = await env.cp.namespace('vmcp-static');
  const certs = await makeControlPlaneCerts(new Date());
  tlsBackend = await startMcpBackend({
    label: 'search',
    tls: certs.serving,
    requireHeaders: { 'X-API-Key': acceptedKeys, 'X-Tenant-ID': 'tenant-1' },
    recordHeader: 'X-API-Key',
  });
  proxyBackend = await startMcpBackend({ label: 'wiki' });

  const k = env.kube;
  await k.create(MCP_GROUP, ns, group('team'));
  for (const [name, value] of [
    ['search-credentials', apiKey],
    ['search-credentials-v2', apiKeyV2],
  ] as const) {
    await k.create(SECRET, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      stringData: { 'api-key': value },
    });
  }
  await k.create(CONFIG_MAP, ns, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'internal-ca' },
    data: { 'ca.crt': certs.servingCa.certPem },
  });
  await k.create(
    MCP_REMOTE_ENDPOINT,
    ns,
    endpoint(direct, {
      type: 'direct',
      remoteURL: tlsBackend.url,
      transport: 'streamable-http',
      groupRef: 'team',
      headerForward: {
        addPlaintextHeaders: { 'X-Tenant-ID': 'tenant-1' },
        addHeadersFromSecret: [
          { headerName: 'X-API-Key', valueSecretRef: { name: 'search-credentials', key: 'api-key' } },
        ],
      },
      caBundleRef: { name: 'internal-ca', key: 'ca.crt' },
    }),
  );
  await k.create(MCP_REMOTE_ENDPOINT, ns, endpoint('wiki', proxySpec('team')));
  // The endpoint reconciler is not running here: publish what it would once the endpoints are usable. The proxy's
  // status.url points at a loopback stand-in for its proxy pod.
  await markEndpointReady(k, ns, direct, tlsBackend.url);
  await markEndpointReady(k, ns, 'wiki', proxyBackend.url);
  await k.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team', replicas: 3 }));
  controller = await env.controller();
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await tlsBackend?.close();
  await proxyBackend?.close();
  await rm(`/etc/toolhive/ca-bundles/${direct}`, { recursive: true, force: true });
});

describe('static mode objects', () => {
  it('writes the gateway config with every endpoint of the group, file paths only, and no secret value', async () => {
    const cm = await eventually('the gateway ConfigMap', () => get(CONFIG_MAP, 'vmcp-gw-config'));
    const config = parseYaml(data(cm)['config.yaml'] ?? '');
    expect(config.backends).toEqual([
      {
        name: direct,
        type: 'direct',
        url: tlsBackend.url,
        transport: 'streamable-http',
        headers: { 'X-Tenant-ID': 'tenant-1' },
        headerFiles: { 'X-API-Key': secretFile },
        caBundlePath: `/etc/toolhive/ca-bundles/${direct}/ca.crt`,
      },
      { name: 'wiki', type: 'proxy', url: proxyBackend.url, transport: 'streamable-http' },
    ]);
    expect(config.lease).toEqual({ name: 'vmcp-gw', namespace: ns });
    const stored = JSON.stringify(cm);
    for (const value of [apiKey, apiKeyV2]) {
      expect(stored).not.toContain(value);
      expect(stored).not.toContain(Buffer.from(value).toString('base64'));
    }
    // The ConfigMap is applied before the Deployment: wait for the Deployment too.
    const deployment = JSON.stringify(await eventually('the gateway Deployment', () => get(DEPLOYMENT, 'vmcp-gw')));
    expect(deployment).not.toContain(apiKey);
  });

  it('mounts the Secret read-only at a stable path, sets no secret variable, and mounts the CA bundle at the RFC path', async () => {
    const d = await eventually('the gateway Deployment', () => get(DEPLOYMENT, 'vmcp-gw'));
    const c = container(d);
    expect(JSON.stringify(d)).not.toContain('secretKeyRef');
    const names = c.env.map((e: { name: string }) => e.name);
    expect(names).toEqual([...names].sort());
    const secretVolume = d.spec.template.spec.volumes.find(
      (v: { secret?: { secretName: string } }) => v.secret?.secretName === 'search-credentials',
    );
    expect(secretVolume.secret).toEqual({
      secretName: 'search-credentials',
      items: [{ key: 'api-key', path: 'api-key' }],
      defaultMode: 0o440,
    });
    expect(c.volumeMounts).toContainEqual({
      name: secretVolume.name,
      mountPath: '/etc/mcpre/secrets/search-credentials',
      readOnly: true,
    });
    expect(d.spec.template.spec.securityContext.fsGroup).toBe(65532);
    const volume = d.spec.template.spec.volumes.find(
      (v: { configMap?: { name: string } }) => v.configMap?.name === 'internal-ca',
    );
    expect(volume.configMap.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    expect(c.volumeMounts).toContainEqual({
      name: volume.name,
      mountPath: `/etc/toolhive/ca-bundles/${direct}`,
      readOnly: true,
    });
    expect(c.args).toEqual([
      'gateway',
      '--config',
      '/etc/mcpre/vmcp/config.yaml',
      '--address',
      '0.0.0.0',
      '--port',
      '4483',
    ]);
    expect(d.spec.template.spec.serviceAccountName).toBe('vmcp-gw');
  });

  it('holds replicas at 1 while the group has a direct endpoint, and says why', async () => {
    const d = await get(DEPLOYMENT, 'vmcp-gw');
    expect(d.spec.replicas).toBe(1);
    const v = await eventually('the SingleReplicaEnforced condition', async () => {
      const o = await get(VIRTUAL_MCP_SERVER, 'gw');
      return condition(o, 'SingleReplicaEnforced') ? o : undefined;
    });
    expect(condition(v, 'SingleReplicaEnforced')).toMatchObject({ status: 'True', reason: 'DirectEndpointsInGroup' });
    expect(condition(v, 'SingleReplicaEnforced').message).toContain('spec.replicas asks for 3 but is held at 1');
    expect(condition(v, 'SingleReplicaEnforced').message).toContain(direct);
  });

  it('owns every object it created, and reports Ready with the URL once the Deployment is available', async () => {
    const owner = await get(VIRTUAL_MCP_SERVER, 'gw');
    for (const [kind, name] of [
      [SERVICE_ACCOUNT, 'vmcp-gw'],
      [ROLE, 'vmcp-gw'],
      [ROLE_BINDING, 'vmcp-gw'],
      [CONFIG_MAP, 'vmcp-gw-config'],
      [DEPLOYMENT, 'vmcp-gw'],
      [SERVICE, 'vmcp-gw'],
    ] as const) {
      const obj = await get(kind, name);
      expect(obj.metadata.ownerReferences, `${kind.kind} ${name}`).toEqual([
        expect.objectContaining({ kind: 'VirtualMCPServer', name: 'gw', uid: owner.metadata.uid, controller: true }),
      ]);
    }
    expect(owner.status?.phase).toBe('Pending');
    expect(owner.status?.url).toBeUndefined();
    await markDeploymentAvailable(env.kube, ns, 'vmcp-gw');
    const ready = await eventually('phase Ready', async () => {
      const o = await get(VIRTUAL_MCP_SERVER, 'gw');
      return o.status?.phase === 'Ready' ? o : undefined;
    });
    expect(ready.status.url).toBe(`http://vmcp-gw.${ns}.svc.cluster.local:4483/mcp`);
    expect(condition(ready, 'Ready')).toMatchObject({ status: 'True', reason: 'GatewayReady' });
    expect(condition(ready, 'BackendsConfigured')).toMatchObject({ status: 'True', reason: 'AllBackendsConfigured' });
  });
});

describe('the gateway started from the ConfigMap and the Deployment, as the pod would be', () => {
  let gateway: RunningChild | undefined;
  const stderr = () => gateway?.stderr() ?? '';
  let dir: string;
  let url: URL;
  /** Where each Secret volume is laid out (under the scratch directory), by Secret name. */
  const secretVolumes = new Map<string, { dir: string; keys: string[] }>();

  /** The kubelet's part for Secret volumes: the files from the Secret's current data, by the `..data` swap. */
  const projectSecrets = async () => {
    for (const [name, volume] of secretVolumes) {
      const s = await get(SECRET, name);
      const payload = Object.fromEntries(
        volume.keys.map((k) => [k, Buffer.from(data(s)[k] ?? '', 'base64').toString('utf8')]),
      );
      await writeAtomicVolume(volume.dir, payload);
    }
  };

  afterAll(async () => {
    await gateway?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves both backends through one MCP endpoint and reports their sessions', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmcp-pod-'));
    const d = await get(DEPLOYMENT, 'vmcp-gw');
    const cm = await get(CONFIG_MAP, 'vmcp-gw-config');
    const c = container(d);

    // The kubelet's part: the config volume, the CA volume at its mount path, the Secret volumes, env from literals
    // and fields. CA mounts go to their real paths (these tests run as root, like a kubelet); without the rights to
    // write there, they go under the scratch directory and the config's paths are re-rooted the same way (a chroot by
    // hand). Secret volumes always go under the scratch directory (their paths do not depend on this run).
    let configText = data(cm)['config.yaml'] ?? '';
    const root = join(dir, 'root');
    for (const mount of c.volumeMounts as Array<{ name: string; mountPath: string }>) {
      const volume = d.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
      if (volume.name === 'config') continue;
      if (volume.secret) {
        configText = configText.replaceAll(mount.mountPath, join(root, mount.mountPath));
        secretVolumes.set(volume.secret.secretName, {
          dir: join(root, mount.mountPath),
          keys: volume.secret.items.map((i: { key: string; path: string }) => i.path),
        });
        continue;
      }
      const source = await get(CONFIG_MAP, volume.configMap.name);
      let caRoot = '';
      try {
        await mkdir(mount.mountPath, { recursive: true });
      } catch {
        caRoot = root;
        configText = configText.replaceAll(mount.mountPath, join(root, mount.mountPath));
      }
      for (const item of volume.configMap.items) {
        const file = join(caRoot, mount.mountPath, item.path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, data(source)[item.key] ?? '');
      }
    }
    await projectSecrets();
    expect([...secretVolumes.keys()]).toEqual(['search-credentials']);
    const configPath = join(dir, 'config.yaml');
    await writeFile(configPath, configText);
    const podEnv: Record<string, string> = {};
    for (const e of c.env) {
      if (e.value !== undefined) podEnv[e.name] = e.value;
      else if (e.valueFrom?.fieldRef) podEnv[e.name] = 'vmcp-gw-pod-0';
      else throw new Error(`unexpected variable source: ${JSON.stringify(e)}`);
    }

    // The pod's identity: a token of the ServiceAccount the operator created, so the Role is what is tested.
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, await serviceAccountKubeconfig(env, ns, 'vmcp-gw'));
    const args = (c.args as string[]).map((a, i, all) =>
      all[i - 1] === '--config'
        ? configPath
        : all[i - 1] === '--port'
          ? '0'
          : all[i - 1] === '--address'
            ? '127.0.0.1'
            : a,
    );
    gateway = spawnMcpre([...args, '--kubeconfig', kubeconfigPath, '--log-level', 'info'], {
      ...process.env,
      KUBERNETES_SERVICE_HOST: '',
      ...podEnv,
    });
    url = await servingUrl(gateway);
    // Ready means it holds the Lease as well, and one backend ready (readiness `any`): wait for both, whose tools
    // are asserted below.
    await waitForReadyz(url, gateway);
    await until('both backends are ready', async () => {
      const detail = (await (await fetch(new URL('/readyz', url))).json()) as { backends: Array<{ state: string }> };
      return detail.backends.length === 2 && detail.backends.every((b) => b.state === 'ready');
    });

    const client = new Client({ name: 'vmcp-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual([`${direct}_whoami`, 'wiki_whoami']);
    const viaTls = await client.callTool({ name: `${direct}_whoami`, arguments: { greeting: 'hi' } });
    expect(viaTls.content).toEqual([{ type: 'text', text: 'hi from search' }]);
    const viaProxy = await client.callTool({ name: 'wiki_whoami', arguments: {} });
    expect(viaProxy.content).toEqual([{ type: 'text', text: 'hello from wiki' }]);
    await client.close();
    // Every request to the direct backend carried the key from the Secret file and the plaintext header, over the CA.
    expect(tlsBackend.seen.length).toBeGreaterThan(2);
    expect(tlsBackend.seen.every(Boolean)).toBe(true);
    expect(tlsBackend.calls).toEqual([apiKey]);

    // The session side, reported by the gateway under its own ServiceAccount.
    const reported = await eventually(
      'backends in the VirtualMCPServer status',
      async () => {
        const o = await get(VIRTUAL_MCP_SERVER, 'gw');
        return o.status?.backendCount === 2 ? o : undefined;
      },
      { timeoutMs: 15_000 },
    ).catch((err) => {
      throw new Error(`${err}\n${stderr()}`);
    });
    // Both remotes are v1-SDK servers: initialize agreed on 2025-11-25 with each.
    expect(reported.status.backends).toEqual([
      expect.objectContaining({
        name: direct,
        type: 'direct',
        state: 'Ready',
        circuit: 'Closed',
        protocolVersion: '2025-11-25',
      }),
      expect.objectContaining({
        name: 'wiki',
        type: 'proxy',
        state: 'Ready',
        circuit: 'Closed',
        protocolVersion: '2025-11-25',
      }),
    ]);
    expect(reported.status.backendsReportedBy).toMatch(/^vmcp-gw-pod-0/);
    // The operator's fields survived the gateway's writes.
    expect(reported.status.phase).toBe('Ready');
    const session = await eventually('the endpoint session', async () => {
      const e = await get(MCP_REMOTE_ENDPOINT, direct);
      return e.status?.session?.state === 'Ready' ? e.status.session : undefined;
    });
    expect(session).toMatchObject({ state: 'Ready', circuit: 'Closed', protocolVersion: '2025-11-25' });
    expect(session.reportedBy).toMatch(/^vmcp-gw-pod-0/);
    const table = await env.kube.table(MCP_REMOTE_ENDPOINT, ns, direct);
    const column = table.columnDefinitions.findIndex((col) => col.name === 'Session');
    expect(table.rows[0]?.cells[column]).toBe('Ready');

    // Static mode gives the gateway no access to Secrets (they reach it only as mounted files), while its
    // own token can read what the reporter needs. (200 on the first call proves the token authenticates at all.)
    const asGateway = await asServiceAccount(env, ns, 'vmcp-gw');
    try {
      const crs = `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${ns}`;
      expect(await statusOf(asGateway, { method: 'GET', path: `${crs}/virtualmcpservers/gw` })).toBe(200);
      expect(
        await statusOf(asGateway, { method: 'GET', path: `/api/v1/namespaces/${ns}/secrets/search-credentials` }),
      ).toBe(403);
      expect(await statusOf(asGateway, { method: 'GET', path: `/api/v1/namespaces/${ns}/configmaps` })).toBe(403);
    } finally {
      await asGateway.close();
    }
  }, 60_000);

  it('Rotating a Secret used by a static-mode gateway changes the header the backend receives within a minute, with no pod restart and no client session lost', async () => {
    if (!gateway || gateway.child.exitCode !== null) throw new Error('the gateway of the previous test is not running');
    const pid = gateway.child.pid;
    const key = `${ns}/gw`;
    const deploymentBefore = await get(DEPLOYMENT, 'vmcp-gw');
    const cmBefore = await get(CONFIG_MAP, 'vmcp-gw-config');
    const applied = { ...controller.stats.applied };
    const passes = controller.stats.passes.get(key) ?? 0;

    const client = new Client({ name: 'vmcp-rotation', version: '1' });
    const transport = new StreamableHTTPClientTransport(url);
    await client.connect(transport);
    const sessionId = transport.sessionId;
    expect(sessionId).toBeTruthy();
    const failures: string[] = [];
    const call = async () => {
      try {
        const r = await client.callTool({ name: `${direct}_whoami`, arguments: { greeting: 'hi' } });
        if (r.isError) failures.push(JSON.stringify(r.content));
      } catch (err) {
        failures.push(String(err));
      }
    };
    const callsBefore = tlsBackend.calls.length;
    await call();
    expect(tlsBackend.calls.at(-1)).toBe(apiKey);
    const backendSessions = tlsBackend.sessions.length;

    // A graceful rotation: the remote accepts the new key, the Secret gets it, then the old key is revoked.
    acceptedKeys.push(apiKeyRotated);
    await env.kube.mergePatch(SECRET, ns, 'search-credentials', { stringData: { 'api-key': apiKeyRotated } });
    // The kubelet's part: the Secret's new data reaches the volume by the `..data` swap, the pod keeps running.
    await projectSecrets();
    const tookMs = await waitForRotatedValue({
      what: 'a call carrying the rotated key',
      call,
      seen: () => tlsBackend.calls.at(-1) === apiKeyRotated,
      output: () => stderr(),
    });
    expect(tookMs).toBeLessThan(60_000);

    // Nobody uses the old key any more: revoke it, and keep calling on the same client session.
    acceptedKeys.splice(acceptedKeys.indexOf(apiKey), 1);
    for (let i = 0; i < 3; i++) await call();
    expect(failures).toEqual([]);
    const seen = tlsBackend.calls.slice(callsBefore);
    const firstRotated = seen.indexOf(apiKeyRotated);
    // Old key until the swap was noticed, the new key on every call after it, never a mix.
    expect(seen.slice(0, firstRotated).every((k) => k === apiKey)).toBe(true);
    expect(seen.slice(firstRotated).every((k) => k === apiKeyRotated)).toBe(true);
    expect(seen.length - firstRotated).toBeGreaterThanOrEqual(4);
    // The changed credential got its own backend session; the client kept its session with the gateway.
    expect(tlsBackend.sessions.length).toBe(backendSessions + 1);
    expect(transport.sessionId).toBe(sessionId);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([`${direct}_whoami`, 'wiki_whoami']);
    await client.close();
    // The same process throughout: no restart.
    expect(gateway.child.pid).toBe(pid);
    expect(gateway.child.exitCode).toBeNull();

    // The operator saw the Secret change and left the pods alone: a value is not part of the pod template.
    await eventually('a reconcile pass after the Secret changed', async () =>
      (controller.stats.passes.get(key) ?? 0) > passes ? true : undefined,
    );
    const deploymentAfter = await get(DEPLOYMENT, 'vmcp-gw');
    expect(deploymentAfter.metadata.resourceVersion).toBe(deploymentBefore.metadata.resourceVersion);
    expect((await get(CONFIG_MAP, 'vmcp-gw-config')).metadata.resourceVersion).toBe(cmBefore.metadata.resourceVersion);
    expect(controller.stats.applied).toEqual(applied);
    for (const value of [apiKey, apiKeyRotated]) expect(stderr()).not.toContain(value);
  }, 90_000);
});

describe('rollouts', () => {
  it('an unchanged reconcile writes nothing, so the pods do not roll', async () => {
    const key = `${ns}/gw`;
    const before = await get(DEPLOYMENT, 'vmcp-gw');
    const cmBefore = await get(CONFIG_MAP, 'vmcp-gw-config');
    const passes = controller.stats.passes.get(key) ?? 0;
    const applied = { ...controller.stats.applied };
    // Wake it twice without changing anything it reads into the gateway: a label, then another. (The group's own
    // changes, such as its description, wake no VirtualMCPServer: a plan reads only whether the group exists.)
    await env.kube.mergePatch(MCP_GROUP, ns, 'team', { spec: { description: 'still the same backends' } });
    await env.kube.mergePatch(VIRTUAL_MCP_SERVER, ns, 'gw', { metadata: { labels: { touched: 'yes' } } });
    await eventually('one more reconcile pass', async () =>
      (controller.stats.passes.get(key) ?? 0) >= passes + 1 ? true : undefined,
    );
    await env.kube.mergePatch(VIRTUAL_MCP_SERVER, ns, 'gw', { metadata: { labels: { touched: 'again' } } });
    await eventually('two more reconcile passes', async () =>
      (controller.stats.passes.get(key) ?? 0) >= passes + 2 ? true : undefined,
    );
    await waitUntilSettled(env, controller, [
      ['vmcps', ns, 'gw'],
      ['groups', ns, 'team'],
      ['deployments', ns, 'vmcp-gw'],
      ['configMaps', ns, 'vmcp-gw-config'],
    ]);
    const after = await get(DEPLOYMENT, 'vmcp-gw');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await get(CONFIG_MAP, 'vmcp-gw-config')).metadata.resourceVersion).toBe(cmBefore.metadata.resourceVersion);
    expect(controller.stats.applied).toEqual(applied);
  });

  it('a changed header secret reference rolls the pods: new checksum, the other Secret mounted, the config names its file', async () => {
    const before = await get(DEPLOYMENT, 'vmcp-gw');
    const cmBefore = await get(CONFIG_MAP, 'vmcp-gw-config');
    const annotation = 'mcpre.toolhive.stacklok.dev/config-checksum';
    const checksum = before.spec.template.metadata.annotations[annotation];
    expect(checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    await env.kube.mergePatch(MCP_REMOTE_ENDPOINT, ns, direct, {
      spec: {
        headerForward: {
          addPlaintextHeaders: { 'X-Tenant-ID': 'tenant-1' },
          addHeadersFromSecret: [
            { headerName: 'X-API-Key', valueSecretRef: { name: 'search-credentials-v2', key: 'api-key' } },
          ],
        },
      },
    });
    const after = await eventually('a rolled Deployment', async () => {
      const d = await get(DEPLOYMENT, 'vmcp-gw');
      return (d.metadata.generation ?? 0) > (before.metadata.generation ?? 0) ? d : undefined;
    });
    expect(after.spec.template.metadata.annotations[annotation]).not.toBe(checksum);
    const secretNames = after.spec.template.spec.volumes
      .filter((v: { secret?: unknown }) => v.secret)
      .map((v: { secret: { secretName: string } }) => v.secret.secretName);
    expect(secretNames).toEqual(['search-credentials-v2']);
    const cm = await get(CONFIG_MAP, 'vmcp-gw-config');
    expect(data(cm)['config.yaml']).toBe(
      data(cmBefore)['config.yaml']?.replace(secretFile, '/etc/mcpre/secrets/search-credentials-v2/api-key'),
    );
    // A rollout in progress reads as Pending until the Deployment controller reports the new generation.
    await eventually('phase Pending during the rollout', async () =>
      (await get(VIRTUAL_MCP_SERVER, 'gw')).status?.phase === 'Pending' ? true : undefined,
    );
  });
});
