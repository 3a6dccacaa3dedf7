// Operator restarts: the actors hold no state the cluster does not, so a new process rebuilds everything from the
// informers. Nothing is rewritten that is already right (resourceVersions stay, no duplicate Events), work that was
// left half done is finished, and a proxy endpoint deleted while no operator ran is still cleaned up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNED_SELECTOR } from '../../../src/api/endpoint/proxy-names.ts';
import { markDeploymentAvailable } from '../../support/deployment-status.ts';
import {
  directSpec,
  type Env,
  endpointBody,
  eventsFor,
  eventually,
  groupBody,
  R,
  startEnv,
  waitForEndpoint,
  waitForEvents,
  waitUntilSettled,
} from './harness.ts';

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env?.stop());

const proxySpec = () => ({
  type: 'proxy',
  remoteURL: 'https://internal.example.com/mcp',
  transport: 'streamable-http',
  groupRef: 'engineering',
  proxyConfig: { oidcConfig: { type: 'kubernetes' } },
});

async function ownedDeployments(ns: string): Promise<string[]> {
  const list = await env.http.request<{ items: { metadata: { name: string } }[] }>({
    method: 'GET',
    path: `/apis/apps/v1/namespaces/${ns}/deployments`,
    query: { labelSelector: OWNED_SELECTOR },
  });
  return list.items.map((d) => d.metadata.name).sort();
}

async function exists(res: Parameters<Env['kube']['get']>[0], ns: string, name: string): Promise<boolean> {
  try {
    await env.kube.get(res, ns, name);
    return true;
  } catch {
    return false;
  }
}

describe('operator restart', () => {
  it('rebuilds from the cluster: nothing rewritten, nothing duplicated, nothing orphaned', async () => {
    const ns = await env.cp.namespace('restart');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('d1', directSpec()));
    await env.kube.create(R.endpoint, ns, endpointBody('p1', proxySpec()));
    await env.kube.create(R.endpoint, ns, endpointBody('p2', proxySpec()));

    const a = await env.operator();
    await waitForEndpoint(env, ns, 'd1', 'Ready', (e) => e.status?.phase === 'Ready');
    await eventually('p1 deployment', async () => ((await exists(R.deployment, ns, 'mcpre-p1')) ? true : undefined));
    await markDeploymentAvailable(env.kube, ns, 'mcpre-p1');
    await waitForEndpoint(env, ns, 'p1', 'Ready', (e) => e.status?.phase === 'Ready');
    await waitForEndpoint(env, ns, 'p2', 'Pending', (e) => e.status?.phase === 'Pending');
    await waitForEvents(env, ns, 'd1', ['Ready']);
    await waitForEvents(env, ns, 'p1', ['Ready']);
    await a.stop();

    const before = {
      d1: (await env.kube.get(R.endpoint, ns, 'd1')).metadata.resourceVersion,
      p1: (await env.kube.get(R.endpoint, ns, 'p1')).metadata.resourceVersion,
      p1Deployment: (await env.kube.get(R.deployment, ns, 'mcpre-p1')).metadata.resourceVersion,
      d1Events: (await eventsFor(env, ns, 'd1')).length,
      p1Events: (await eventsFor(env, ns, 'p1')).length,
    };
    expect(await ownedDeployments(ns)).toEqual(['mcpre-p1', 'mcpre-p2']);

    // While no operator runs: delete a proxy endpoint (its finalizer holds it), add endpoints.
    await env.kube.delete(R.endpoint, ns, 'p2');
    expect((await env.kube.get(R.endpoint, ns, 'p2')).metadata.deletionTimestamp).toBeDefined();
    await env.kube.create(R.endpoint, ns, endpointBody('d2', directSpec()));
    await env.kube.create(R.endpoint, ns, endpointBody('d3', directSpec({ caBundleRef: { name: 'missing-ca' } })));

    const b = await env.operator();
    await waitForEndpoint(env, ns, 'd2', 'Ready', (e) => e.status?.phase === 'Ready');
    await waitForEndpoint(env, ns, 'd3', 'Failed', (e) => e.status?.phase === 'Failed');
    await eventually('p2 cleaned up', async () => ((await exists(R.endpoint, ns, 'p2')) ? undefined : true));
    expect(await ownedDeployments(ns)).toEqual(['mcpre-p1']);
    expect(await exists(R.service, ns, 'mcpre-p2')).toBe(false);
    expect(await exists(R.serviceAccount, ns, 'mcpre-p2')).toBe(false);

    await waitUntilSettled(env, b, [
      ['group', ns, 'engineering'],
      ['endpoint', ns, 'd1'],
      ['endpoint', ns, 'p1'],
      ['deployment', ns, 'mcpre-p1'],
      ['endpoint', ns, 'd2'],
      ['endpoint', ns, 'd3'],
    ]);
    expect((await env.kube.get(R.endpoint, ns, 'd1')).metadata.resourceVersion).toBe(before.d1);
    expect((await env.kube.get(R.endpoint, ns, 'p1')).metadata.resourceVersion).toBe(before.p1);
    expect((await env.kube.get(R.deployment, ns, 'mcpre-p1')).metadata.resourceVersion).toBe(before.p1Deployment);
    expect((await eventsFor(env, ns, 'd1')).length).toBe(before.d1Events);
    expect((await eventsFor(env, ns, 'p1')).length).toBe(before.p1Events);
    expect(b.stats.statusWritesByEndpoint.get(`${ns}/d1`)).toBeUndefined();
    expect(b.stats.statusWritesByEndpoint.get(`${ns}/p1`)).toBeUndefined();
    await b.stop();
  });

  it('a restart in the middle of a burst finishes the rest and rewrites nothing that was done', async () => {
    const ns = await env.cp.namespace('burst');
    const names = Array.from({ length: 60 }, (_, i) => `ep-${String(i).padStart(2, '0')}`);
    await env.kube.create(R.group, ns, groupBody('engineering'));
    for (const name of names) await env.kube.create(R.endpoint, ns, endpointBody(name, directSpec()));

    const a = await env.operator({ writeConcurrency: 2 });
    await eventually('some writes', async () => (a.stats.statusWrites >= 10 ? true : undefined), { intervalMs: 1 });
    await a.stop(0); // no grace: as abrupt as a crash, mid-burst

    const list = await env.http.request<{ items: { metadata: { name: string }; status?: { phase?: string } }[] }>({
      method: 'GET',
      path: `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${ns}/mcpremoteendpoints`,
    });
    const doneBefore = new Set(list.items.filter((e) => e.status?.phase === 'Ready').map((e) => e.metadata.name));
    expect(doneBefore.size).toBeGreaterThan(0);
    expect(doneBefore.size).toBeLessThan(names.length);

    const b = await env.operator();
    for (const name of names) await waitForEndpoint(env, ns, name, 'Ready', (e) => e.status?.phase === 'Ready');
    for (const name of doneBefore) expect(b.stats.statusWritesByEndpoint.get(`${ns}/${name}`)).toBeUndefined();
    for (const name of names) expect(b.stats.statusWritesByEndpoint.get(`${ns}/${name}`) ?? 0).toBeLessThanOrEqual(1);
    for (const name of names.slice(0, 10)) {
      const ready = (await eventsFor(env, ns, name)).filter((e) => e.reason === 'Ready');
      expect(ready.length).toBeLessThanOrEqual(1);
    }
    await groupMembersEventually(ns, names);
    await b.stop();
  });
});

async function groupMembersEventually(ns: string, names: string[]) {
  await eventually('group lists every member', async () => {
    const g = await env.kube.get(R.group, ns, 'engineering');
    return g.status?.remoteEndpointCount === names.length ? true : undefined;
  });
}
