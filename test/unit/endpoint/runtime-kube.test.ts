// The runtime's Kubernetes plumbing without a cluster: reflector (relist on 410, backoff, optional kinds), keyed
// queue, reference index, store. The reflector runs against a scripted KubeHttp fake.
import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeRequest, Resources } from '../../../src/actors/kube/kube-api.ts';
import type { KubeObject } from '../../../src/api/endpoint/model.ts';
import { KeyedQueue } from '../../../src/runtime/kube/keyed-queue.ts';
import type { KubeHttp, WatchEvent } from '../../../src/runtime/kube/kube-http.ts';
import { ReferenceIndex } from '../../../src/runtime/kube/reference-index.ts';
import { type ChangeType, Reflector } from '../../../src/runtime/kube/reflector.ts';
import { Store } from '../../../src/runtime/kube/store.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { until } from '../../support/eventually.ts';

const obj = (name: string, rv: string): KubeObject => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, uid: `u-${name}` },
});

type WatchScript = (onEvent: (e: WatchEvent) => void, query: Record<string, unknown>) => Promise<void>;

/** A KubeHttp whose lists and watches follow a script, one step per call. */
function scriptedApi(lists: (() => KubeObject[] | Error)[], watches: WatchScript[]) {
  const calls: string[] = [];
  const api: KubeHttp = {
    async request<T>(_req: KubeRequest): Promise<T> {
      const step = lists.shift();
      calls.push(`list`);
      if (!step) throw new Error('no more lists scripted');
      const out = step();
      if (out instanceof Error) throw out;
      return { metadata: { resourceVersion: out.at(-1)?.metadata.resourceVersion ?? '1' }, items: out } as T;
    },
    async watch(_path, query, onEvent, { signal }) {
      calls.push(`watch@${query.resourceVersion}`);
      const step = watches.shift();
      if (!step) {
        // Nothing scripted: hang until stopped, like a quiet watch.
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return;
      }
      await step(onEvent, query);
    },
    async close() {},
  };
  return { api, calls };
}

function reflectorOn(api: KubeHttp, changes: string[], optional = false) {
  return new Reflector<KubeObject>({
    api,
    resource: Resources.configMap,
    rng: seededRng(1),
    optional,
    backoffMs: { base: 5, max: 20 },
    absentRetryMs: 10,
    onChange: (type: ChangeType, o: KubeObject) =>
      changes.push(`${type}:${o.metadata.name}@${o.metadata.resourceVersion}`),
  });
}

describe('Reflector', () => {
  it('lists, watches from the list version, and relists on 410 Gone with a diff (deletes for what vanished)', async () => {
    const changes: string[] = [];
    const { api, calls } = scriptedApi(
      [() => [obj('a', '1'), obj('b', '2')], () => [obj('b', '2'), obj('c', '7')]],
      [
        async (on) => {
          on({ type: 'MODIFIED', object: obj('a', '3') });
          on({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '5' } } });
          on({ type: 'ERROR', object: { code: 410, message: 'too old resource version' } });
        },
      ],
    );
    const r = reflectorOn(api, changes);
    await r.start();
    await until('relist and re-watch', () => calls.length >= 4, { intervalMs: 5 });
    await r.stop();
    expect(calls.slice(0, 4)).toEqual(['list', 'watch@2', 'list', 'watch@7']);
    expect(changes).toEqual(['added:a@1', 'added:b@2', 'modified:a@3', 'deleted:a@3', 'added:c@7']);
    expect(r.stats.gone).toBe(1);
    expect([...r.store.keys()].sort()).toEqual(['ns/b', 'ns/c']);
  });

  it('re-watches from the last version after a normal end, and backs off after an error', async () => {
    const changes: string[] = [];
    const { api, calls } = scriptedApi(
      [() => [obj('a', '1')]],
      [
        async (on) => on({ type: 'ADDED', object: obj('b', '4') }),
        async () => {
          throw new KubeApiError('boom', 500);
        },
      ],
    );
    const r = reflectorOn(api, changes);
    await r.start();
    await until('third watch', () => calls.length >= 4, { intervalMs: 5 });
    await r.stop();
    expect(calls.slice(0, 4)).toEqual(['list', 'watch@1', 'watch@4', 'watch@4']);
    expect(r.stats.errors).toBe(1);
  });

  it('a change handler that throws is logged and the informer goes on (no replay, no stalled watch)', async () => {
    const seen: string[] = [];
    const logged: string[] = [];
    const { api, calls } = scriptedApi(
      [() => [obj('a', '1')]],
      [
        async (on) => {
          on({ type: 'MODIFIED', object: obj('a', '3') });
          on({ type: 'ADDED', object: obj('b', '4') });
        },
      ],
    );
    const r = new Reflector<KubeObject>({
      api,
      resource: Resources.configMap,
      rng: seededRng(1),
      backoffMs: { base: 5, max: 20 },
      log: (_level, msg, fields) => logged.push(`${msg} ${fields?.object}`),
      onChange: (type, o) => {
        seen.push(`${type}:${o.metadata.name}@${o.metadata.resourceVersion}`);
        if (o.metadata.name === 'a' && type === 'modified') throw new Error('handler bug');
      },
    });
    await r.start();
    await until('the next watch', () => calls.length >= 3);
    await r.stop();
    expect(seen).toEqual(['added:a@1', 'modified:a@3', 'added:b@4']);
    expect(calls.slice(0, 3)).toEqual(['list', 'watch@1', 'watch@4']);
    expect(logged).toEqual(['change handler failed ns/a']);
    expect(r.stats.errors).toBe(0);
  });

  it('an optional kind whose CRD is missing is absent (synced, empty) and found once it is installed', async () => {
    const changes: string[] = [];
    const { api } = scriptedApi([() => new KubeApiError('not found', 404), () => [obj('x', '9')]], []);
    const r = reflectorOn(api, changes, true);
    await r.start();
    expect(r.absent).toBe(true);
    await until('second discovery', () => !r.absent && changes.length === 1, { intervalMs: 5 });
    await r.stop();
    expect(changes).toEqual(['added:x@9']);
  });
});

describe('KeyedQueue', () => {
  it('de-duplicates waiting keys and runs a key again if it was added while running', async () => {
    const runs: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = new KeyedQueue({
      concurrency: 1,
      rng: seededRng(1),
      handler: async (key) => {
        runs.push(key);
        if (runs.length === 1) await gate;
      },
    });
    q.add('a'); // starts at once and blocks on the gate
    q.add('a'); // added while running: one more run afterwards
    q.add('b');
    q.add('b'); // already waiting: no second run
    release();
    await q.onIdle();
    expect(runs).toEqual(['a', 'b', 'a']);
  });

  it('folds adds within the debounce window into one run', async () => {
    const runs: string[] = [];
    const q = new KeyedQueue({ concurrency: 1, rng: seededRng(1), handler: async (key) => void runs.push(key) });
    for (let i = 0; i < 50; i++) q.add('group', 20);
    expect(runs).toEqual([]);
    await q.onIdle();
    expect(runs).toEqual(['group']);
  });

  it('retries a failing key with backoff until it succeeds', async () => {
    let failures = 2;
    const errors: number[] = [];
    const q = new KeyedQueue({
      concurrency: 1,
      rng: seededRng(1),
      retry: { baseMs: 1, maxMs: 4 },
      handler: async () => {
        if (failures-- > 0) throw new Error('transient');
      },
      onError: (_k, _e, ms) => errors.push(ms),
    });
    q.add('g');
    await q.onIdle();
    expect(errors).toHaveLength(2);
    expect(failures).toBe(-1);
  });
});

describe('ReferenceIndex', () => {
  it('finds exactly the endpoints that reference an object, and forgets removed ones', () => {
    const idx = new ReferenceIndex();
    idx.set('ns/a', ['ConfigMap:ns/ca', 'MCPGroup:ns/g']);
    idx.set('ns/b', ['MCPGroup:ns/g']);
    expect(idx.lookup('MCPGroup:ns/g').sort()).toEqual(['ns/a', 'ns/b']);
    expect(idx.lookup('ConfigMap:ns/ca')).toEqual(['ns/a']);
    idx.set('ns/a', ['MCPGroup:ns/h']);
    expect(idx.lookup('ConfigMap:ns/ca')).toEqual([]);
    idx.remove('ns/b');
    expect(idx.lookup('MCPGroup:ns/g')).toEqual([]);
  });
});

describe('Reflector.offer', () => {
  it("tells the handlers of an offered copy once, marked offered, and the watch's echo of it reads as no change", async () => {
    const seen: string[] = [];
    let echo: (() => void) | undefined;
    const { api } = scriptedApi(
      [() => [obj('a', '5')]],
      [
        (on) =>
          new Promise<void>((resolve) => {
            echo = () => {
              on({ type: 'MODIFIED', object: obj('a', '6') });
              resolve();
            };
          }),
      ],
    );
    const r = new Reflector<KubeObject>({
      api,
      resource: Resources.configMap,
      rng: seededRng(1),
      onChange: (type, o, old, offered) =>
        seen.push(
          `${type}:${old?.metadata.resourceVersion}->${o.metadata.resourceVersion}${offered ? ' offered' : ''}`,
        ),
    });
    await r.start();
    expect(r.offer(obj('a', '4'))).toBe(false);
    expect(r.offer(obj('b', '9'))).toBe(false);
    expect(r.offer(obj('a', '6'))).toBe(true);
    await until('the watch to open', () => echo !== undefined, { intervalMs: 5 });
    echo?.();
    await until('the echo', () => seen.length >= 3, { intervalMs: 5 });
    await r.stop();
    expect(seen).toEqual(['added:undefined->5', 'modified:5->6 offered', 'modified:6->6']);
  });
});

describe('Store.offer', () => {
  it('takes a newer copy of a known object only', () => {
    const s = new Store<KubeObject>();
    expect(s.offer(obj('a', '5'))).toBe(false);
    s.set(obj('a', '5'));
    expect(s.offer(obj('a', '4'))).toBe(false);
    expect(s.offer(obj('a', '6'))).toBe(true);
    expect(s.get('ns', 'a')?.metadata.resourceVersion).toBe('6');
  });
});
