// The hand-deployed dynamic-mode gateway's Role (deploy/kustomize/gateway/rbac.yaml, generated from the operator's
// gateway rules): `mcpre gateway --group` run as a certificate user bound to exactly that Role takes its Lease,
// discovers the group's endpoint (with a header from a Secret), serves its tools and is ready, and the audit log shows
// no denied request.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Resources } from '../../../src/actors/kube/kube-api.ts';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT } from '../../../src/api/resources.ts';
import { type RunningControlPlane, startControlPlane as startRaw } from '../../../src/control-plane/control-plane.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningChild, servingUrl, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';
import { adminRequest, kubeconfigFile, readAudit } from './operator-process.ts';

const USER = 'gateway-rbac-test';
let cp: RunningControlPlane;
let kube: KubeObjects;
let backend: DemoBackend;
let gateway: RunningChild | undefined;

const admin = (method: string, path: string, body?: unknown) => adminRequest(cp, method, path, body);

beforeAll(async () => {
  cp = await startRaw({ crdDirs: [join(REPO_ROOT, 'crds')], audit: true });
  const kc = new KubeConfig();
  kc.loadFromString(cp.kubeconfig);
  kube = kubeObjects(kc);
  backend = await startDemoBackend({ label: 'rbac' });
});
afterAll(async () => {
  await gateway?.stop(0);
  await backend?.close();
  await kube?.close();
  await cp?.stop();
});

describe('the hand-deployed gateway Role', () => {
  it('is enough for dynamic discovery with a Lease, and nothing is denied', async () => {
    const ns = 'gw-team';
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const docs = parseAllDocuments(await readFile(join(REPO_ROOT, 'deploy/kustomize/gateway/rbac.yaml'), 'utf8')).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string } },
    );
    await admin(
      'POST',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
      docs.find((d) => d.kind === 'Role'),
    );
    await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'gateway-test' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mcpre-gateway' },
      subjects: [{ kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' }],
    });

    await kube.create(MCP_GROUP, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPGroup',
      metadata: { name: 'g' },
      spec: {},
    });
    await kube.create(Resources.secret, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'k' },
      stringData: { token: 'not-checked-by-the-demo' },
    });
    await kube.create(MCP_REMOTE_ENDPOINT, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPRemoteEndpoint',
      metadata: { name: 'demo' },
      spec: {
        type: 'direct',
        remoteURL: backend.url.href,
        transport: 'streamable-http',
        groupRef: 'g',
        headerForward: { addHeadersFromSecret: [{ headerName: 'X-Key', valueSecretRef: { name: 'k', key: 'token' } }] },
      },
    });

    const dir = await mkdtemp(join(tmpdir(), 'mcpre-gw-rbac-'));
    const kubeconfig = await kubeconfigFile(dir, USER, await cp.userKubeconfig(USER));
    // The config of deploy/kustomize/gateway, with anonymous clients for the test (the Lease as shipped).
    const shipped = await readFile(join(REPO_ROOT, 'deploy/kustomize/gateway/gateway.yaml'), 'utf8');
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, shipped.replace(/incomingAuth:[\s\S]*?(?=\nlease:)/, 'incomingAuth:\n  type: anonymous\n'));
    gateway = spawnMcpre(
      ['gateway', '--config', config, '--group', 'g', '--namespace', ns, '--kubeconfig', kubeconfig, '--port', '0'],
      { ...process.env, KUBERNETES_SERVICE_HOST: undefined },
    );
    // Ready: the Lease held, discovery synced, the backend ready.
    const url = await servingUrl(gateway);
    await waitForReadyz(url, gateway);
    const client = new Client({ name: 'rbac', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    await gateway.stop();
    gateway = undefined;

    const mine = (await readAudit(cp.auditLogPath!)).filter((r) => r.user.username === USER);
    expect(mine.some((r) => r.objectRef?.resource === 'leases' && r.verb === 'create')).toBe(true);
    expect(mine.some((r) => r.objectRef?.resource === 'secrets' && r.verb === 'watch')).toBe(true);
    expect(mine.filter((r) => r.responseStatus?.code === 403).map((r) => `${r.verb} ${r.requestURI}`)).toEqual([]);
  });
});
