// How a watch on the in-memory API server ends: by the caller's abort (at once, also when the signal was aborted
// before the watch began) and by its timeout, as kube-apiserver ends a watch after `timeoutSeconds`. Without this an
// informer stopped at the wrong moment waits forever, and so does `mcpre up` when its port is busy.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MCP_REMOTE_ENDPOINT } from '../../../src/api/resources.ts';
import { startOperator } from '../../../src/controllers/endpoint/operator.ts';
import { Reflector } from '../../../src/runtime/kube/reflector.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { startEmbeddedCluster } from '../../../src/sim/embedded-cluster.ts';
import { FakeApiServer, type KubeObject, WATCH_ENDED } from '../../../src/sim/fake-apiserver.ts';
import { fakeKubeHttp } from '../../../src/sim/fake-kube-http.ts';
import { SimScheduler } from '../../../src/sim/scheduler.ts';

const EP = 'mcpremoteendpoints.toolhive.stacklok.dev';
const PATH = '/apis/toolhive.stacklok.dev/v1alpha1/namespaces/ns/mcpremoteendpoints';
const ep = (name: string): KubeObject => ({ metadata: { name, namespace: 'ns' }, spec: { type: 'direct' } });

function world() {
  const scheduler = new SimScheduler(seededRng(1));
  const api = new FakeApiServer({ scheduler, rng: seededRng(2), statusSubresource: [EP] });
  return { scheduler, api };
}

/** Resolves with what `p` settled to, or 'pending' if it has not settled within `ms` of real time. */
async function within<T>(ms: number, p: Promise<T>): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('FakeApiServer watch end', () => {
  it('an abort ends the watch at once with a normal close, and no event follows', async () => {
    const { scheduler, api } = world();
    const controller = new AbortController();
    const seen: string[] = [];
    api.watch(
      EP,
      'ns',
      api.resourceVersion,
      { onEvent: (t, o) => seen.push(`${t}:${o.metadata.name}`), onClose: (code) => seen.push(`closed:${code}`) },
      { signal: controller.signal },
    );
    api.createNow(EP, ep('a'));
    await scheduler.runUntil(100);
    controller.abort();
    expect(seen).toEqual(['ADDED:a', `closed:${WATCH_ENDED}`]);
    api.createNow(EP, ep('b'));
    await scheduler.runUntil(200);
    expect(seen).toEqual(['ADDED:a', `closed:${WATCH_ENDED}`]);
  });

  it('a signal aborted before the watch starts none: it closes at once and delivers nothing', async () => {
    const { scheduler, api } = world();
    api.createNow(EP, ep('a'));
    const seen: string[] = [];
    api.watch(
      EP,
      'ns',
      '0',
      { onEvent: (t) => seen.push(t), onClose: (code) => seen.push(`closed:${code}`) },
      { signal: AbortSignal.abort() },
    );
    expect(seen).toEqual([`closed:${WATCH_ENDED}`]);
    await scheduler.runUntil(100);
    expect(seen).toEqual([`closed:${WATCH_ENDED}`]);
  });

  it('ends a watch normally when its timeout runs out, on the scheduler clock, and cancels the timer on stop', async () => {
    const { scheduler, api } = world();
    let closedAt: number | undefined;
    api.watch(
      EP,
      'ns',
      api.resourceVersion,
      { onEvent: () => {}, onClose: () => (closedAt = scheduler.now()) },
      {
        timeoutMs: 30_000,
      },
    );
    await scheduler.runUntil(29_999);
    expect(closedAt).toBeUndefined();
    await scheduler.runUntil(30_000);
    expect(closedAt).toBe(30_000);

    const before = scheduler.pending();
    const stop = api.watch(
      EP,
      'ns',
      api.resourceVersion,
      { onEvent: () => {}, onClose: () => {} },
      { timeoutMs: 5000 },
    );
    expect(scheduler.pending()).toBe(before + 1);
    stop();
    expect(scheduler.pending()).toBe(before);
  });
});

describe('fakeKubeHttp watch', () => {
  it('resolves on abort, on an already aborted signal and after timeoutSeconds', async () => {
    const { scheduler, api } = world();
    const http = fakeKubeHttp(api);
    const controller = new AbortController();
    const aborted = http.watch(PATH, { resourceVersion: api.resourceVersion }, () => {}, {
      signal: controller.signal,
      inactivityMs: 60_000,
    });
    controller.abort();
    expect(await within(1000, aborted)).toBeUndefined();

    const early = http.watch(PATH, { resourceVersion: api.resourceVersion }, () => {}, {
      signal: AbortSignal.abort(),
      inactivityMs: 60_000,
    });
    expect(await within(1000, early)).toBeUndefined();

    const timed = http.watch(PATH, { resourceVersion: api.resourceVersion, timeoutSeconds: 10 }, () => {}, {
      signal: new AbortController().signal,
      inactivityMs: 60_000,
    });
    await scheduler.runUntil(9_999);
    expect(await within(50, timed)).toBe('pending');
    await scheduler.runUntil(10_000);
    expect(await within(1000, timed)).toBeUndefined();
  });
});

describe('stopping during the first list', () => {
  it('a reflector stopped while its list is in flight stops instead of opening a watch nobody can end', async () => {
    const cluster = startEmbeddedCluster();
    try {
      const reflector = new Reflector({
        api: cluster.http,
        resource: MCP_REMOTE_ENDPOINT,
        namespace: 'ns',
        onChange: () => {},
        rng: seededRng(3),
      });
      void reflector.start();
      expect(await within(3000, reflector.stop())).toBeUndefined();
      expect(reflector.stats.lists).toBe(1);
    } finally {
      cluster.close();
    }
  });

  it("the operator over the embedded store (mcpre up's) stops promptly right after it started", async () => {
    const cluster = startEmbeddedCluster();
    try {
      const operator = startOperator({ http: cluster.http, logger: pino({ level: 'silent' }), namespace: 'default' });
      const started = Date.now();
      expect(await within(5000, operator.stop(0))).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      cluster.close();
    }
  });
});
