// Trust the simulator: the same scripted scenario (groups, Secrets, CA bundles, auth configs, direct and proxy
// endpoints with good and broken references) runs with the production operator once on the in-memory API server and
// once on the real kube-apiserver + etcd; the resulting endpoint statuses (phase, url, every condition's status and
// reason) must be the same. A difference means the simulator's API semantics drifted from the real server's.
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { startOperator } from '../../../src/controllers/endpoint/operator.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import type { KubeObject } from '../../../src/sim/fake-apiserver.ts';
import { baseObjects, endpointObject, NS, R } from '../../../src/sim/scenario.ts';
import { availableStatus, type EndpointOutcome, outcomeOf, runScriptedOnFake } from '../../../src/sim/scripted.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';

const PATHS: Record<string, string> = {
  [R.endpoint]: `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${NS}/mcpremoteendpoints`,
  [R.group]: `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${NS}/mcpgroups`,
  [R.authConfig]: `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${NS}/mcpexternalauthconfigs`,
  [R.configMap]: `/api/v1/namespaces/${NS}/configmaps`,
  [R.secret]: `/api/v1/namespaces/${NS}/secrets`,
};

async function scenario(): Promise<{ resource: string; object: KubeObject }[]> {
  const ca = (await makeControlPlaneCerts(new Date())).servingCa.certPem;
  const rng = seededRng(4242);
  const endpoints = Array.from({ length: 16 }, (_, i) => ({ resource: R.endpoint, object: endpointObject(rng, i) }));
  return [...baseObjects(ca), ...endpoints];
}

describe('simulator vs real control plane', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(() => cp?.stop());

  it('gives the same endpoint statuses for the same scripted scenario', async () => {
    const objects = await scenario();
    const simulated = await runScriptedOnFake(objects);

    const admin = cp.running.admin;
    expect(
      (
        await admin.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: NS },
        })
      ).status,
    ).toBe(201);
    for (const { resource, object } of objects) {
      const res = await admin.request('POST', PATHS[resource]!, object);
      expect(res.status, `${resource} ${object.metadata.name}: ${res.text}`).toBe(201);
    }
    const kc = new KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));
    const operator = startOperator({ kubeconfig: kc, logger, namespace: NS, instance: 'diff', rng: seededRng(3) });
    const listEndpoints = async () =>
      ((await admin.request('GET', PATHS[R.endpoint]!)).json as { items: KubeObject[] }).items;
    const deployments = `/apis/apps/v1/namespaces/${NS}/deployments`;
    const proxies = objects.filter(
      (o) => o.resource === R.endpoint && (o.object.spec as { type: string }).type === 'proxy',
    );
    try {
      // Wait for the first pass, then make every proxy Deployment available, as the simulator's script does.
      await expect
        .poll(
          async () => (await listEndpoints()).filter((e) => (e.status as { phase?: string } | undefined)?.phase).length,
          {
            timeout: 60_000,
            interval: 250,
          },
        )
        .toBe(objects.filter((o) => o.resource === R.endpoint).length);
      await expect
        .poll(async () => ((await admin.request('GET', deployments)).json as { items: unknown[] }).items.length, {
          timeout: 60_000,
        })
        .toBeGreaterThanOrEqual(0);
      for (const d of ((await admin.request('GET', deployments)).json as { items: KubeObject[] }).items) {
        const res = await admin.request('PATCH', `${deployments}/${d.metadata.name}/status`, {
          status: availableStatus(d),
        });
        expect(res.status, res.text).toBe(200);
      }
      let real = new Map<string, EndpointOutcome>();
      await expect
        .poll(
          async () => {
            real = new Map((await listEndpoints()).map((e) => [e.metadata.name, outcomeOf(e)]));
            return JSON.stringify([...real.entries()].sort()) === JSON.stringify([...simulated.entries()].sort());
          },
          { timeout: 60_000, interval: 500 },
        )
        .toBe(true)
        .catch(() => undefined);
      // Compare per endpoint so a difference names the endpoint and the field.
      expect(Object.fromEntries([...real.entries()].sort())).toEqual(
        Object.fromEntries([...simulated.entries()].sort()),
      );
      expect(proxies.length).toBeGreaterThan(0);
    } finally {
      await operator.stop(0);
    }
  });
});
