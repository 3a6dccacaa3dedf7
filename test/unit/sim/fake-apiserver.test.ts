import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../src/runtime/random.ts';
import { FakeApiServer, type KubeObject } from '../../../src/sim/fake-apiserver.ts';
import { SimScheduler } from '../../../src/sim/scheduler.ts';

const EP = 'mcpremoteendpoints.toolhive.stacklok.dev';
const ep = (name: string, spec: unknown = { type: 'direct' }): KubeObject => ({
  metadata: { name, namespace: 'ns' },
  spec,
});

function world(seed = 1) {
  const scheduler = new SimScheduler(seededRng(seed));
  const api = new FakeApiServer({ scheduler, rng: seededRng(seed + 1), statusSubresource: [EP] });
  return { scheduler, api };
}

async function run<T>(scheduler: SimScheduler, p: Promise<T>): Promise<T> {
  const settled = p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await scheduler.runUntil(scheduler.now() + 60_000);
  const r = await settled;
  if (r.ok) return r.value;
  throw r.error;
}

describe('FakeApiServer', () => {
  it('assigns uid, generation and resourceVersion; 409 on a stale resourceVersion', async () => {
    const { scheduler, api } = world();
    const created = api.createNow(EP, ep('a'));
    expect(created.metadata).toMatchObject({ uid: 'uid-1', generation: 1, resourceVersion: '101' });
    const updated = await run(scheduler, api.update(EP, { ...created, spec: { type: 'direct', x: 1 } }));
    expect(updated.metadata.generation).toBe(2);
    await expect(run(scheduler, api.update(EP, { ...created, spec: { type: 'direct', x: 2 } }))).rejects.toMatchObject({
      code: 409,
    });
  });

  it('splits status from spec: a spec update keeps status, a status update keeps spec and generation', async () => {
    const { scheduler, api } = world();
    const created = api.createNow(EP, { ...ep('a'), status: { phase: 'ignored on create' } });
    expect(created.status).toBeUndefined();
    const withStatus = await run(
      scheduler,
      api.updateStatus(EP, { ...created, spec: { type: 'proxy' }, status: { phase: 'Ready' } }),
    );
    expect(withStatus.spec).toEqual({ type: 'direct' });
    expect(withStatus.metadata.generation).toBe(1);
    const specChanged = await run(
      scheduler,
      api.update(EP, { ...withStatus, spec: { type: 'direct', y: 1 }, status: {} }),
    );
    expect(specChanged.status).toEqual({ phase: 'Ready' });
  });

  it('a no-op write keeps the resourceVersion', async () => {
    const { scheduler, api } = world();
    const created = api.createNow(EP, ep('a'));
    const same = await run(scheduler, api.update(EP, created));
    expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('deletes through finalizers: deletionTimestamp first, gone when the last finalizer is removed', async () => {
    const { scheduler, api } = world();
    const created = api.createNow(EP, {
      ...ep('a'),
      metadata: { name: 'a', namespace: 'ns', finalizers: ['mcpre/x'] },
    });
    await run(scheduler, api.delete(EP, 'ns', 'a'));
    const marked = api.peek(EP, 'ns', 'a');
    expect(marked?.metadata.deletionTimestamp).toBeDefined();
    await run(scheduler, api.update(EP, { ...marked!, metadata: { ...marked!.metadata, finalizers: [] } }));
    expect(api.peek(EP, 'ns', 'a')).toBeUndefined();
    expect(created.metadata.uid).toBe('uid-1');
  });

  it('watches replay from a resourceVersion and answer 410 after compaction', async () => {
    const { scheduler, api } = world();
    const start = api.resourceVersion;
    api.createNow(EP, ep('a'));
    api.createNow(EP, ep('b'));
    const seen: string[] = [];
    api.watch(EP, 'ns', start, {
      onEvent: (t, o) => seen.push(`${t}:${o.metadata.name}`),
      onClose: () => seen.push('closed'),
    });
    await scheduler.runUntil(1000);
    expect(seen).toEqual(['ADDED:a', 'ADDED:b']);
    api.compact();
    let closed: number | undefined;
    api.watch(EP, 'ns', start, { onEvent: () => {}, onClose: (code) => (closed = code) });
    await scheduler.runUntil(2000);
    expect(closed).toBe(410);
  });

  it('shares stored versions with every reader, frozen: no reader can change what another reads', async () => {
    const { scheduler, api } = world();
    const start = api.resourceVersion;
    const labels = { team: 'a' };
    api.createNow(EP, {
      ...ep('a', { type: 'direct', headers: { x: ['1'] } }),
      metadata: { name: 'a', namespace: 'ns', labels },
    });
    const watched: KubeObject[] = [];
    api.watch(EP, 'ns', start, { onEvent: (_, o) => watched.push(o), onClose: () => {} });
    const got = await run(scheduler, api.get(EP, 'ns', 'a'));
    const listed = (await run(scheduler, api.list(EP, 'ns'))).items[0]!;
    expect(watched).toHaveLength(1);
    for (const read of [got, listed, watched[0]!]) {
      expect(read).toBe(got);
      expect(() => {
        (read.spec as { headers: { x: string[] } }).headers.x.push('2');
      }).toThrow(TypeError);
      expect(() => {
        read.metadata.name = 'b';
      }).toThrow(TypeError);
      expect(() => {
        read.status = { phase: 'Ready' };
      }).toThrow(TypeError);
    }
    // What the writer handed in stays the writer's: changing it afterwards changes nothing stored.
    labels.team = 'b';
    expect(api.peek(EP, 'ns', 'a')?.metadata.labels).toEqual({ team: 'a' });
    // A write shares the unchanged parts of the version it replaces and leaves that version as it was.
    const status = { phase: 'Ready' };
    const next = await run(scheduler, api.updateStatus(EP, { ...got, status }));
    status.phase = 'Failed';
    expect(next.status).toEqual({ phase: 'Ready' });
    expect(next.spec).toBe(got.spec);
    expect(got.status).toBeUndefined();
    expect(Object.isFrozen(next.status)).toBe(true);
  });

  it('injects faults from the seed, the same way for the same seed', async () => {
    const outcomes = async (seed: number) => {
      const { scheduler, api } = world(seed);
      api.faults = { conflict: 0.2, throttle: 0.1, serverError: 0.1, latencyMs: [1, 50], watchDisconnect: 0 };
      const obj = api.createNow(EP, ep('a'));
      const results: string[] = [];
      for (let i = 0; i < 40; i++) {
        api.get(EP, 'ns', obj.metadata.name).then(
          () => results.push(`${scheduler.now()}:ok`),
          (e: { code: number }) => results.push(`${scheduler.now()}:${e.code}`),
        );
      }
      await scheduler.runUntil(10_000);
      return results;
    };
    const a = await outcomes(42);
    expect(a).toHaveLength(40);
    expect(a.some((r) => r.endsWith(':500'))).toBe(true);
    expect(a.some((r) => r.endsWith(':ok'))).toBe(true);
    expect(await outcomes(42)).toEqual(a);
    expect(await outcomes(43)).not.toEqual(a);
  });
});
