// The keyed actor registry's bound on actors at work: a burst of wake-ups runs at most maxBusy at once, in order,
// and an actor left with only best-effort work gives its slot to the next one.
import { describe, expect, it } from 'vitest';
import { fromPromise, setup } from 'xstate';
import { KeyedActorRegistry } from '../../../src/runtime/kube/actor-registry.ts';

function harness(maxBusy: number | undefined) {
  const work = new Map<string, () => void>();
  const extra = new Map<string, () => void>();
  let atOnce = 0;
  let most = 0;
  const pending = (into: Map<string, () => void>) =>
    fromPromise<void, { key: string }>(
      ({ input }) =>
        new Promise<void>((resolve) => {
          atOnce += into === work ? 1 : 0;
          most = Math.max(most, atOnce);
          into.set(input.key, () => {
            atOnce -= into === work ? 1 : 0;
            into.delete(input.key);
            resolve();
          });
        }),
    );
  const machine = setup({
    types: { input: {} as { key: string }, context: {} as { key: string }, tags: {} as 'quiet' | 'bestEffort' },
    actors: { work: pending(work), extra: pending(extra) },
  }).createMachine({
    context: ({ input }) => ({ key: input.key }),
    initial: 'working',
    states: {
      working: { invoke: { src: 'work', input: ({ context }) => context, onDone: 'announcing' } },
      announcing: { tags: ['bestEffort'], invoke: { src: 'extra', input: ({ context }) => context, onDone: 'idle' } },
      idle: { tags: ['quiet'], on: { LOOK_AGAIN: 'working' } },
    },
  });
  const registry = new KeyedActorRegistry({ machine, systemIdPrefix: 't', inputFor: (key) => ({ key }), maxBusy });
  const settle = () => new Promise((r) => setImmediate(r));
  return { registry, work, extra, most: () => most, settle };
}

describe('KeyedActorRegistry maxBusy', () => {
  it('runs at most maxBusy actors up to their best-effort part, the rest in order of their wake-up', async () => {
    const h = harness(2);
    for (const k of ['a', 'b', 'c', 'd', 'e']) h.registry.wake(k);
    await h.settle();
    expect([...h.work.keys()]).toEqual(['a', 'b']);
    expect(h.registry.quiet()).toBe(false);
    h.work.get('a')?.();
    await h.settle();
    // a records its best-effort part and no longer holds a slot: c starts.
    expect([...h.extra.keys()]).toEqual(['a']);
    expect([...h.work.keys()]).toEqual(['b', 'c']);
    while (h.work.size > 0) {
      for (const done of [...h.work.values()]) done();
      await h.settle();
    }
    expect(h.registry.quiet()).toBe(false);
    for (const done of [...h.extra.values()]) done();
    await h.settle();
    expect(h.registry.quiet()).toBe(true);
    expect(h.most()).toBe(2);
    expect(h.registry.census()).toEqual({ idle: 5 });
  });

  it('without maxBusy every wake-up starts at once', async () => {
    const h = harness(undefined);
    for (const k of ['a', 'b', 'c']) h.registry.wake(k);
    await h.settle();
    expect(h.work.size).toBe(3);
  });

  it('a key stopped while waiting never starts', async () => {
    const h = harness(1);
    h.registry.wake('a');
    h.registry.wake('b');
    h.registry.stop('b');
    await h.settle();
    h.work.get('a')?.();
    await h.settle();
    expect(h.registry.keys()).toEqual(['a']);
    expect(h.work.size).toBe(0);
  });
});
