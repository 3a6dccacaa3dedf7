// `mcpre operator --metrics-port` after a short run: the reconcile, actor, queue, leader and informer series exist
// with the values this run implies, and /healthz and /readyz say why they answer as they do.
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT, TOOLHIVE_MCP_REMOTE_PROXY } from '../../../src/api/resources.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';
import { type OperatorProcess, startOperatorProcess } from '../deploy/operator-process.ts';
import { eventually } from '../deploy/scenario.ts';
import { scrape, value } from './scrape.ts';

let cp: ControlPlane;
let kube: KubeObjects;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  cp = await startControlPlane({ crdDirs: ['crds', 'test/crds/toolhive'] });
  const kc = new KubeConfig();
  kc.loadFromString(cp.kubeconfig);
  kube = kubeObjects(kc);
});
afterAll(async () => {
  await op?.stop();
  await kube?.close();
  await cp?.stop();
});

const gv = 'toolhive.stacklok.dev/v1alpha1';
const endpoint = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: gv,
  kind: 'MCPRemoteEndpoint',
  metadata: { name },
  spec: {
    type: 'direct',
    remoteURL: `https://${name}.example.com/mcp`,
    transport: 'streamable-http',
    groupRef: 'g',
    ...spec,
  },
});

describe('operator metrics', () => {
  it('reconciles by result with durations, actors by state, queues, leader and informers, with sensible values', async () => {
    const ns = await cp.namespace('metrics');
    await kube.create(MCP_GROUP, ns, { apiVersion: gv, kind: 'MCPGroup', metadata: { name: 'g' }, spec: {} });
    await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('one', {}));
    await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('two', {}));
    await kube.create(MCP_REMOTE_ENDPOINT, ns, endpoint('bad', { externalAuthConfigRef: { name: 'missing' } }));
    await kube.create(TOOLHIVE_MCP_REMOTE_PROXY, ns, {
      apiVersion: gv,
      kind: 'MCPRemoteProxy',
      metadata: { name: 'old' },
      spec: {},
    });
    op = startOperatorProcess([
      '--kubeconfig',
      cp.kubeconfigPath,
      '--namespace',
      ns,
      '--leader-elect',
      '--lease-namespace',
      ns,
      '--metrics-port',
      '0',
    ]);
    const url = String((await op.waitForLog('serving /metrics, /healthz, /readyz and /debug/actors')).url);
    await op.waitForLog('ready');
    for (const [name, phase] of [
      ['one', 'Ready'],
      ['two', 'Ready'],
      ['bad', 'Failed'],
    ] as const) {
      await eventually(`${name} ${phase}`, async () =>
        (await kube.get(MCP_REMOTE_ENDPOINT, ns, name)).status?.phase === phase ? true : undefined,
      );
    }
    // Settled: every actor resting, the deprecation warning recorded.
    const samples = await eventually('actors at rest', async () => {
      const s = await scrape(url);
      return value(s, 'mcpre_operator_queue_depth', { queue: 'endpoints' }) === 0 &&
        value(s, 'mcpre_operator_queue_depth', { queue: 'groups' }) === 0 &&
        (value(s, 'mcpre_deprecation_warnings_total', { kind: 'MCPRemoteProxy' }) ?? 0) >= 1
        ? s
        : undefined;
    });

    const ep = { controller: 'mcpremoteendpoint' };
    expect(value(samples, 'mcpre_reconciles_total', { ...ep, result: 'ready' })).toBeGreaterThanOrEqual(2);
    expect(value(samples, 'mcpre_reconciles_total', { ...ep, result: 'failed' })).toBeGreaterThanOrEqual(1);
    const count = value(samples, 'mcpre_reconcile_duration_seconds_count', { ...ep, result: 'ready' }) ?? 0;
    const sum = value(samples, 'mcpre_reconcile_duration_seconds_sum', { ...ep, result: 'ready' }) ?? 0;
    expect(count).toBe(value(samples, 'mcpre_reconciles_total', { ...ep, result: 'ready' }));
    expect(sum).toBeGreaterThan(0);
    expect(sum / count, 'mean seconds per ready pass').toBeLessThan(5);
    // Every pass lands in a bucket no later than +Inf.
    expect(value(samples, 'mcpre_reconcile_duration_seconds_bucket', { ...ep, result: 'ready', le: '+Inf' })).toBe(
      count,
    );

    expect(value(samples, 'mcpre_actors', { machine: 'endpoint', state: 'ready' })).toBe(2);
    expect(value(samples, 'mcpre_actors', { machine: 'endpoint', state: 'failed' })).toBe(1);
    expect(value(samples, 'mcpre_actors', { machine: 'gatewayReplica', state: 'active' })).toBe(1);
    expect(value(samples, 'mcpre_operator_queue_depth', { queue: 'groups' })).toBe(0);
    expect(value(samples, 'mcpre_operator_queue_depth', { queue: 'virtualmcpservers' })).toBe(0);
    expect(value(samples, 'mcpre_operator_leader')).toBe(1);
    expect(value(samples, 'mcpre_operator_leader_acquisitions_total')).toBe(1);
    for (const controller of ['mcpremoteendpoint', 'virtualmcpserver', 'deprecation']) {
      expect(value(samples, 'mcpre_operator_informers_synced', { controller }), controller).toBe(1);
    }
    expect(value(samples, 'mcpre_deprecation_warnings_total', { kind: 'MCPRemoteProxy' })).toBe(1);
    expect(value(samples, 'mcpre_operator_process_cpu_seconds_total')).toBeGreaterThan(0);

    const health = await fetch(new URL('/healthz', url));
    expect(health.status).toBe(200);
    const ready = await fetch(new URL('/readyz', url));
    const body = await ready.text();
    expect(ready.status).toBe(200);
    expect(body).toContain('[+]informers ok: every cache synced');
    expect(body).toContain('[+]lease ok: held by this replica');
    expect((await fetch(new URL('/nope', url))).status).toBe(404);

    // The live view: the operator's own actors (endpoints and the Lease), with their charts.
    const live = (await (await fetch(new URL('/debug/actors.json', url))).json()) as {
      machines: string[];
      actors: { id: string; machine: string }[];
    };
    expect(live.machines).toEqual(expect.arrayContaining(['endpoint', 'virtualMcpServer', 'gatewayReplica']));
    expect(live.actors.map((a) => a.machine)).toEqual(expect.arrayContaining(['endpoint', 'gatewayReplica']));
    expect(live.actors.some((a) => a.id === `endpoint:${ns}/bad`)).toBe(true);
    expect((await fetch(new URL('/debug/charts/endpoint.svg', url))).headers.get('content-type')).toBe('image/svg+xml');

    // A status change moves the actor gauge: the failing endpoint gets its auth config and becomes ready.
    await kube.mergePatch(MCP_REMOTE_ENDPOINT, ns, 'bad', { spec: { externalAuthConfigRef: null } });
    await eventually('bad Ready', async () =>
      (await kube.get(MCP_REMOTE_ENDPOINT, ns, 'bad')).status?.phase === 'Ready' ? true : undefined,
    );
    const after = await eventually('gauge moved', async () => {
      const s = await scrape(url);
      return value(s, 'mcpre_actors', { machine: 'endpoint', state: 'ready' }) === 3 ? s : undefined;
    });
    expect(value(after, 'mcpre_actors', { machine: 'endpoint', state: 'failed' })).toBe(0);
    expect(await op.stop()).toBe(0);
    op = undefined;
  });
});
