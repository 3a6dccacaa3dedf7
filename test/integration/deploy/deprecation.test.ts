// Deprecation warnings on a real API server: where ToolHive's MCPRemoteProxy (v1alpha1 here) and MCPServerEntry
// (v1beta1 here, found by API discovery) are served, each object gets one Warning event naming MCPRemoteEndpoint and
// `mcpre migrate`; reconciling it again (a spec change, a resync, a restart) bumps the same event's series instead of
// adding events; status-only changes are not reconciles; a CRD installed later is noticed.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../../src/control-plane/crd-install.ts';
import {
  type DeprecationController,
  startDeprecationController,
} from '../../../src/controllers/deprecation/deprecation-controller.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { Manager } from '../../../src/runtime/kube/manager.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../../support/control-plane.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';
import { type DeprecationEvent, deprecationEvents, eventually, REMOTE_PROXY, SERVER_ENTRY } from './scenario.ts';

let cp: ControlPlane;
let kube: KubeObjects;
let http: KubeHttp;
type Running = DeprecationController & { stop(): Promise<void> };
const controllers: Running[] = [];

beforeAll(async () => {
  cp = await startControlPlane({ crdDirs: ['crds', 'test/crds/toolhive'] });
  kube = kubeObjects(cp.kc);
  http = createKubeHttp(cp.kc);
});
afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  await http?.close();
  await kube?.close();
  await cp?.stop();
});

function start(namespace: string, extra: { resyncMs?: number } = {}): Running {
  const manager = new Manager({ http, namespace, rng: seededRng(7) });
  const controller = startDeprecationController(manager, {
    logger: pino({ level: process.env.MCPRE_TEST_LOG ?? 'silent' }),
    instance: 'test-operator',
    resyncMs: extra.resyncMs ?? 600_000,
    discoveryRetryMs: 300,
  });
  void manager.start();
  const c = { ...controller, stop: () => manager.stop() };
  controllers.push(c);
  return c;
}

async function stop(c: Running) {
  await c.stop();
  controllers.splice(controllers.indexOf(c), 1);
}

const remoteProxy = (name: string) => ({
  apiVersion: 'toolhive.stacklok.dev/v1alpha1',
  kind: 'MCPRemoteProxy',
  metadata: { name },
  spec: { remoteURL: 'https://legacy.example.com/mcp', transport: 'streamable-http', proxyPort: 8080 },
});

const count = (e: DeprecationEvent | undefined) => e?.series?.count ?? 1;

async function eventFor(ns: string, name: string, want: (e: DeprecationEvent) => boolean) {
  return eventually(`deprecation event on ${name}`, async () => {
    const events = (await deprecationEvents(http, ns)).filter((e) => e.regarding.name === name);
    if (events.length > 1) throw new Error(`more than one event on ${name}: ${events.length}`);
    return events[0] && want(events[0]) ? events[0] : undefined;
  });
}

describe('deprecation warnings', () => {
  it('one Warning per object naming MCPRemoteEndpoint and mcpre migrate; reconciles bump its series', async () => {
    const ns = await cp.namespace('deprecation');
    await kube.create(REMOTE_PROXY, ns, remoteProxy('legacy'));
    const first = start(ns);
    await first.ready;
    expect(first.watching()).toEqual({ MCPRemoteProxy: 'v1alpha1' });

    const created = await eventFor(ns, 'legacy', () => true);
    expect(created.type).toBe('Warning');
    expect(created.reason).toBe('Deprecated');
    expect(created.regarding).toMatchObject({ kind: 'MCPRemoteProxy', apiVersion: 'toolhive.stacklok.dev/v1alpha1' });
    expect(created.note).toContain('MCPRemoteEndpoint with type: proxy');
    expect(created.note).toContain(`kubectl get mcpremoteproxy legacy -n ${ns} -o yaml | mcpre migrate -f -`);
    expect(created.series).toBeUndefined();

    // A spec change is a reconcile: the same event, seen twice.
    await kube.mergePatch(REMOTE_PROXY, ns, 'legacy', { spec: { proxyPort: 9090 } });
    await eventFor(ns, 'legacy', (e) => count(e) === 2);
    // A status-only change is not. An object created after it gets its own event: watch events arrive in order, so
    // once that event exists the status change was seen too, and stopping lets any observation it queued land.
    await kube.mergePatchStatus(REMOTE_PROXY, ns, 'legacy', { status: { phase: 'Running' } });
    await kube.create(REMOTE_PROXY, ns, remoteProxy('later'));
    await eventFor(ns, 'later', () => true);
    await stop(first);
    expect(count(await eventFor(ns, 'legacy', () => true))).toBe(2);
    expect((await deprecationEvents(http, ns)).map((e) => e.regarding.name).sort()).toEqual(['later', 'legacy']);

    // A restart reads each event back and bumps it: still one event per object.
    const second = start(ns);
    await second.ready;
    const again = await eventFor(ns, 'legacy', (e) => count(e) === 3);
    expect(again.metadata.name).toBe(created.metadata.name);
    await eventFor(ns, 'later', (e) => count(e) === 2);
    expect((await deprecationEvents(http, ns)).map((e) => e.regarding.name).sort()).toEqual(['later', 'legacy']);
    await stop(second);
  });

  it('the periodic resync is a reconcile too (series bumped, no new events)', async () => {
    const ns = await cp.namespace('deprecation-resync');
    await kube.create(REMOTE_PROXY, ns, remoteProxy('legacy'));
    const c = start(ns, { resyncMs: 400 });
    await c.ready;
    await eventFor(ns, 'legacy', (e) => count(e) >= 3);
    expect(await deprecationEvents(http, ns)).toHaveLength(1);
    await stop(c);
  });

  it('finds MCPServerEntry when its CRD (served as v1beta1) is installed while running', async () => {
    const ns = await cp.namespace('deprecation-late');
    const c = start(ns);
    await c.ready;
    expect(c.watching()).toEqual({ MCPRemoteProxy: 'v1alpha1' });
    await installCrds(cp.running.admin, [join(REPO_ROOT, 'test/crds/toolhive-v1beta1')]);
    await eventually('MCPServerEntry watched', async () =>
      c.watching().MCPServerEntry === 'v1beta1' ? true : undefined,
    );
    await kube.create(SERVER_ENTRY, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1beta1',
      kind: 'MCPServerEntry',
      metadata: { name: 'entry' },
      spec: { remoteURL: 'https://entry.example.com/mcp', transport: 'streamable-http', groupRef: 'g' },
    });
    const e = await eventFor(ns, 'entry', () => true);
    expect(e.regarding).toMatchObject({ kind: 'MCPServerEntry', apiVersion: 'toolhive.stacklok.dev/v1beta1' });
    expect(e.note).toContain('MCPRemoteEndpoint with type: direct');
    expect(e.note).toContain('mcpre migrate');
    await stop(c);
  });
});
