// The controller manager: every controller of the operator on one manager lists and watches each resource once,
// two different declarations of one resource are refused, a late subscriber is told what is cached, and stop()
// keeps its order (stop taking work, drain writes, stop workers, stop informers).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Resources } from '../../../src/actors/kube/kube-api.ts';
import { Watches } from '../../../src/controllers/kinds.ts';
import { startOperatorControllers } from '../../../src/controllers/operator.ts';
import type { KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { Manager } from '../../../src/runtime/kube/manager.ts';
import { watchKey } from '../../../src/runtime/kube/shared-informers.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { FakeApiServer } from '../../../src/sim/fake-apiserver.ts';
import { fakeKubeHttp } from '../../../src/sim/fake-kube-http.ts';
import { SimScheduler } from '../../../src/sim/scheduler.ts';

const silent = pino({ level: 'silent' });

function world() {
  const scheduler = new SimScheduler(seededRng(1));
  const api = new FakeApiServer({ scheduler, rng: seededRng(2), statusSubresource: [] });
  const watches: string[] = [];
  const inner = fakeKubeHttp(api);
  const http: KubeHttp = {
    request: (req) => inner.request(req),
    watch(path, query, onEvent, opts) {
      watches.push(path);
      return inner.watch(path, query, onEvent, opts);
    },
    close: () => inner.close(),
  };
  const run = async (until: number) => {
    while (await scheduler.step(until));
  };
  return { scheduler, api, http, watches, run };
}

describe('the controller manager', () => {
  it('watches each resource once for every controller of the operator', async () => {
    const w = world();
    const manager = new Manager({ http: w.http, clock: w.scheduler, rng: seededRng(3), namespace: 'ns' });
    const c = startOperatorControllers(manager, {
      logger: silent,
      image: 'mcpre:test',
      instance: 'test',
      resyncMs: 60_000,
    });
    void manager.start();
    let ready = false;
    void Promise.all([c.endpoints.ready, c.groups.ready, c.vmcps.ready, c.deprecation.ready]).then(() => {
      ready = true;
    });
    await w.run(1000);
    expect(ready).toBe(true);
    // The endpoint and VirtualMCPServer controllers both read endpoints, groups, ConfigMaps, Secrets and owned
    // objects: one informer each. The ToolHive group's discovery answers 404 here, so no deprecated kind is watched.
    const expected = [...new Set(Object.values(Watches).map((s) => watchKey(s.resource)))].sort();
    expect(manager.informers.keys()).toEqual(expected);
    const perPath = new Map<string, number>();
    for (const p of w.watches) perPath.set(p, (perPath.get(p) ?? 0) + 1);
    expect(perPath.size).toBe(expected.length);
    expect([...perPath.values()].every((n) => n === 1)).toBe(true);
    expect(w.watches.every((p) => p.includes('/namespaces/ns/'))).toBe(true);
    await manager.stop(0);
  });

  it('refuses a second declaration of a resource with another label selector', () => {
    const w = world();
    const manager = new Manager({ http: w.http, clock: w.scheduler, rng: seededRng(3) });
    manager.informers.informer(Watches.deployments);
    expect(() => manager.informers.informer({ resource: Resources.deployment, labelSelector: 'a=b' })).toThrow(
      /declared twice with a different label selector/,
    );
  });

  it('tells a subscriber that arrives after the list about every cached object', async () => {
    const w = world();
    for (const name of ['a', 'b'])
      w.api.createNow('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } });
    const manager = new Manager({ http: w.http, clock: w.scheduler, rng: seededRng(3) });
    manager.informers.informer(Watches.configMaps);
    void manager.start();
    await w.run(1000);
    const seen: string[] = [];
    manager.informers.subscribe(Watches.configMaps, (type, obj) => seen.push(`${type} ${obj.metadata.name}`));
    expect(seen.sort()).toEqual(['added a', 'added b']);
    expect(w.watches).toHaveLength(1);
    await manager.stop(0);
  });

  it('stops taking work, drains the write in flight, then stops workers, then informers', async () => {
    const w = world();
    const manager = new Manager({ http: w.http, clock: w.scheduler, rng: seededRng(3) });
    const order: string[] = [];
    let writing: Promise<unknown> | undefined;
    const changes: string[] = [];
    const ctl = manager.controller({
      name: 'test',
      watches: { configMaps: Watches.configMaps },
      resync: () => {},
      workers: [{ quiet: () => writing === undefined, stop: () => order.push('workers stopped') }],
      onChange: ({ obj }) => changes.push(obj.metadata.name),
    });
    void manager.start();
    await w.run(1000);
    await ctl.ready;
    writing = manager.writes.api
      .request({
        method: 'POST',
        path: '/api/v1/namespaces/ns/configmaps',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'written' } },
      })
      .then(() => {
        order.push('write answered');
        writing = undefined;
      });
    const stopped = manager.stop(10_000).then(() => order.push('informers stopped'));
    await w.run(20_000);
    await stopped;
    expect(order).toEqual(['write answered', 'workers stopped', 'informers stopped']);
    // The change the write caused arrived after the manager stopped taking work: no controller heard of it.
    expect(changes).toEqual([]);
  });
});
