// One `mcpre operator` process, cluster-wide, against the real API server with its audit log on: every controller
// (endpoints, MCPGroup status, VirtualMCPServers, deprecation warnings) runs on one manager, so the process talks to
// the API server through one connection pool (each pool names itself in its User-Agent, which the audit log keeps)
// and opens one watch per resource kind, however many controllers read it.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/control-plane.ts';
import { Watches } from '../../../src/controllers/kinds.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { until } from '../../support/eventually.ts';
import { adminRequest, kubeconfigFile, readAudit, startOperatorProcess } from '../deploy/operator-process.ts';

const USER = 'mcpre-one-manager-test';
const NS = 'one-manager';
const TH = '/apis/toolhive.stacklok.dev/v1alpha1/namespaces';

let cp: RunningControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({
    crdDirs: ['crds', 'test/crds/toolhive'].map((d) => join(REPO_ROOT, d)),
    audit: true,
  });
});
afterAll(async () => {
  await cp?.stop();
});

describe('one operator process', () => {
  it('opens one HTTP pool to the API server and one watch per resource kind', async () => {
    const admin = (method: string, path: string, body?: unknown) => adminRequest(cp, method, path, body);
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await admin('POST', `${TH}/${NS}/mcpgroups`, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPGroup',
      metadata: { name: 'g' },
      spec: {},
    });
    await admin('POST', `${TH}/${NS}/mcpremoteendpoints`, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPRemoteEndpoint',
      metadata: { name: 'e' },
      spec: {
        type: 'direct',
        remoteURL: 'https://remote.example.com/mcp',
        transport: 'streamable-http',
        groupRef: 'g',
      },
    });

    const dir = await mkdtemp(join(tmpdir(), 'mcpre-one-manager-'));
    const kubeconfig = await kubeconfigFile(dir, USER, await cp.userKubeconfig(USER, ['system:masters']));
    const op = startOperatorProcess(['--kubeconfig', kubeconfig, '--log-level', 'info']);
    try {
      await op.waitForLog('ready', 30_000);
      // Reads and writes both happened: the endpoint's status and its group's membership were written.
      await until('the group to list its endpoint', async () => {
        const g = (await admin('GET', `${TH}/${NS}/mcpgroups/g`)) as { status?: { remoteEndpoints?: string[] } };
        const e = (await admin('GET', `${TH}/${NS}/mcpremoteendpoints/e`)) as { status?: { phase?: string } };
        return g.status?.remoteEndpoints?.includes('e') === true && e.status?.phase !== undefined;
      });
    } finally {
      expect(await op.stop()).toBe(0);
    }

    const audit = (await readAudit(cp.auditLogPath!)).filter((r) => r.user.username === USER);
    expect(audit.filter((r) => ['patch', 'create'].includes(r.verb)).length).toBeGreaterThan(0);
    const agents = [...new Set(audit.map((r) => r.userAgent))];
    expect(agents, 'User-Agents of the operator process').toEqual(['mcpre (pool 1)']);

    // A watch may end and be re-opened (a timeout, a 410, a transient error); what must not happen is two watches of
    // one resource open at once, which is what two informers of one kind look like.
    const watches = new Map<string, { resource: string; start: string; end: string }>();
    for (const r of audit) {
      if (r.verb !== 'watch') continue;
      const w = watches.get(r.auditID) ?? {
        resource: `${r.objectRef?.apiGroup || 'core'}/${r.objectRef?.resource}`,
        start: r.requestReceivedTimestamp,
        end: '9999',
      };
      if (r.stage === 'ResponseComplete') w.end = r.stageTimestamp;
      watches.set(r.auditID, w);
    }
    const overlapping: string[] = [];
    const perResource = new Map<string, { start: string; end: string }[]>();
    for (const w of watches.values()) perResource.set(w.resource, [...(perResource.get(w.resource) ?? []), w]);
    for (const [resource, ws] of perResource) {
      ws.sort((a, b) => a.start.localeCompare(b.start));
      for (let i = 1; i < ws.length; i++)
        if (ws[i]!.start < ws[i - 1]!.end) overlapping.push(`${resource} at ${ws[i]!.start}`);
    }
    const kinds = [...new Set(Object.values(Watches).map((w) => `${w.resource.group || 'core'}/${w.resource.plural}`))];
    expect([...perResource.keys()].sort()).toEqual(kinds.sort());
    expect(overlapping, 'a second watch of a resource while one was open').toEqual([]);
    // Cluster-wide: no watch names a namespace.
    expect(audit.filter((r) => r.verb === 'watch' && r.objectRef?.namespace)).toEqual([]);
  });
});
