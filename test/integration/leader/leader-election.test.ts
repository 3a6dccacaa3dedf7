// Two `mcpre operator --leader-elect` processes against one control plane, each its own certificate user under the
// generated RBAC, so the audit log tells their requests apart. One leads and reconciles; the other waits on standby
// without watching or writing anything; SIGTERM to the leader drains its work, releases the Lease, and the standby
// takes over within seconds; and no write of one overlaps a write of the other.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT } from '../../../src/api/resources.ts';
import { type RunningControlPlane, startControlPlane as startRaw } from '../../../src/control-plane/control-plane.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';
import {
  type AuditRecord,
  adminRequest,
  kubeconfigFile,
  type OperatorProcess,
  readAudit,
  startOperatorProcess,
} from '../deploy/operator-process.ts';
import { eventually } from '../deploy/scenario.ts';

const GROUP = 'mcpre-operators';
const A = 'operator-a';
const B = 'operator-b';
const LEASE_NS = 'mcpre-system';
const WRITES = new Set(['create', 'update', 'patch', 'delete']);

let cp: RunningControlPlane;
let kube: KubeObjects;
let dir: string;
const running: OperatorProcess[] = [];

const admin = (method: string, path: string, body?: unknown) => adminRequest(cp, method, path, body);

beforeAll(async () => {
  cp = await startRaw({ crdDirs: [join(REPO_ROOT, 'crds')], audit: true });
  const kc = new KubeConfig();
  kc.loadFromString(cp.kubeconfig);
  kube = kubeObjects(kc);
  dir = await mkdtemp(join(tmpdir(), 'mcpre-leader-'));
  // The generated RBAC, bound to a group both operator users belong to.
  const docs = parseAllDocuments(await readFile(join(REPO_ROOT, 'deploy/kustomize/base/rbac.yaml'), 'utf8')).map(
    (d) => d.toJS() as { kind: string; metadata: { name: string } },
  );
  const subjects = [{ kind: 'Group', name: GROUP, apiGroup: 'rbac.authorization.k8s.io' }];
  await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NS } });
  await admin(
    'POST',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    docs.find((d) => d.kind === 'ClusterRole'),
  );
  await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: 'operators' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mcpre-operator' },
    subjects,
  });
  const role = docs.find((d) => d.kind === 'Role');
  await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${LEASE_NS}/roles`, role);
  await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${LEASE_NS}/rolebindings`, {
    metadata: { name: 'operators-leader-election' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role?.metadata.name },
    subjects,
  });
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop(5000)));
  await kube?.close();
  await cp?.stop();
});

async function startAs(user: string): Promise<OperatorProcess> {
  const kubeconfig = await kubeconfigFile(dir, user, await cp.userKubeconfig(user, [GROUP]));
  const p = startOperatorProcess([
    '--kubeconfig',
    kubeconfig,
    '--leader-elect',
    '--lease-namespace',
    LEASE_NS,
    '--lease-duration',
    '6',
    '--renew-deadline',
    '4',
    '--retry-period',
    '1',
    '--metrics-port',
    '0',
  ]);
  running.push(p);
  return p;
}

async function readyz(p: OperatorProcess): Promise<{ status: number; body: string }> {
  const line = await p.waitForLog('serving /metrics, /healthz, /readyz and /debug/actors');
  const res = await fetch(new URL('/readyz', String(line.url)));
  return { status: res.status, body: await res.text() };
}

const directEndpoint = (name: string) => ({
  apiVersion: 'toolhive.stacklok.dev/v1alpha1',
  kind: 'MCPRemoteEndpoint',
  metadata: { name },
  spec: { type: 'direct', remoteURL: `https://${name}.example.com/mcp`, transport: 'streamable-http', groupRef: 'g' },
});

async function waitReady(ns: string, names: string[]) {
  for (const name of names) {
    await eventually(`${ns}/${name} Ready`, async () =>
      (await kube.get(MCP_REMOTE_ENDPOINT, ns, name)).status?.phase === 'Ready' ? true : undefined,
    );
  }
}

const isWrite = (r: AuditRecord) => WRITES.has(r.verb) && r.objectRef?.resource !== 'leases';
const ms = (t: string) => Date.parse(t);

describe('leader election', () => {
  it('one leads, the standby stays idle, SIGTERM hands over within seconds, and writes never overlap', async () => {
    const ns = `leader-${process.pid}`;
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.create(MCP_GROUP, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPGroup',
      metadata: { name: 'g' },
      spec: {},
    });
    for (const n of ['e1', 'e2', 'e3']) await kube.create(MCP_REMOTE_ENDPOINT, ns, directEndpoint(n));

    const a = await startAs(A);
    await a.waitForLog('acquired the operator Lease');
    await a.waitForLog('ready');
    const b = await startAs(B);
    await b.waitForLog('standby: the operator Lease is held');
    await waitReady(ns, ['e1', 'e2', 'e3']);

    // Both are ready (a standby is healthy); only A says it holds the Lease.
    const [ra, rb] = await Promise.all([readyz(a), readyz(b)]);
    expect(ra.status).toBe(200);
    expect(ra.body).toContain('[+]lease ok: held by this replica');
    expect(rb.status).toBe(200);
    expect(rb.body).toContain('[+]informers ok: standby');

    // More work while A leads.
    for (const n of ['e4', 'e5']) await kube.create(MCP_REMOTE_ENDPOINT, ns, directEndpoint(n));
    await waitReady(ns, ['e4', 'e5']);

    const sigterm = Date.now();
    a.child.kill('SIGTERM');
    await b.waitForLog('acquired the operator Lease', 15_000);
    const handoverMs = Date.now() - sigterm;
    expect(await a.exited).toBe(0);
    expect(a.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['controllers stopped', 'released the operator Lease']),
    );
    // Released, not expired: well under the 6 s Lease duration.
    expect(handoverMs).toBeLessThan(5000);
    console.log(`leader handover after SIGTERM: ${handoverMs} ms`);

    await b.waitForLog('ready');
    for (const n of ['e6', 'e7']) await kube.create(MCP_REMOTE_ENDPOINT, ns, directEndpoint(n));
    await waitReady(ns, ['e6', 'e7']);
    expect(await b.stop()).toBe(0);

    const audit = await readAudit(cp.auditLogPath!);
    const byA = audit.filter((r) => r.user.username === A);
    const byB = audit.filter((r) => r.user.username === B);
    expect(byA.filter((r) => r.responseStatus?.code === 403)).toEqual([]);
    expect(byB.filter((r) => r.responseStatus?.code === 403)).toEqual([]);
    const bAcquired = byB.find(
      (r) => r.objectRef?.resource === 'leases' && r.verb === 'update' && r.responseStatus?.code === 200,
    );
    expect(bAcquired, 'B wrote the Lease when it took over').toBeDefined();
    const acquiredAt = ms(bAcquired!.requestReceivedTimestamp);
    // On standby B neither watched nor listed nor wrote anything but the Lease.
    const bBefore = byB.filter((r) => ms(r.requestReceivedTimestamp) < acquiredAt);
    expect(bBefore.filter((r) => r.objectRef?.resource !== 'leases').map((r) => `${r.verb} ${r.requestURI}`)).toEqual(
      [],
    );
    // Writes never overlap: A's last write finished before B's first write arrived.
    const aWrites = byA.filter(isWrite);
    const bWrites = byB.filter(isWrite);
    expect(aWrites.length).toBeGreaterThan(5);
    expect(bWrites.length).toBeGreaterThan(2);
    const aLast = Math.max(...aWrites.map((r) => ms(r.stageTimestamp)));
    const bFirst = Math.min(...bWrites.map((r) => ms(r.requestReceivedTimestamp)));
    expect(aLast).toBeLessThan(bFirst);
    expect(aLast).toBeLessThan(acquiredAt);
    // The endpoints created after the handover were reconciled by B alone.
    const statusWriters = (name: string) =>
      new Set(
        audit
          .filter((r) => r.verb === 'patch' && r.objectRef?.name === name && r.objectRef?.subresource === 'status')
          .map((r) => r.user.username),
      );
    expect([...statusWriters('e6')]).toEqual([B]);
    expect([...statusWriters('e1')]).toEqual([A]);
  });
});
