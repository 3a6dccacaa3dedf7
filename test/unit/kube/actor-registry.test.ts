// The keyed actor registry's bound on actors at work: a burst of wake-ups runs at most maxBusy at once, in order,
// and an actor left with only best-effort work gives its slot to the next one; with stopAtRest, an actor that settles
// is stopped and only its key and resting state are kept.
import { describe, expect, it } from 'vitest';
import { assign, fromPromise, setup } from 'xstate';
import { KeyedActorRegistry } from '../../../src/runtime/kube/actor-registry.ts';

function harness(maxBusy: number | undefined, stopAtRest = false) {
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
    types: {
      input: {} as { key: string },
      context: {} as { key: string; passes: number },
      tags: {} as 'quiet' | 'bestEffort' | 'settled',
    },
    actors: { work: pending(work), extra: pending(extra) },
  }).createMachine({
    context: ({ input }) => ({ key: input.key, passes: 0 }),
    initial: 'working',
    states: {
      working: {
        entry: assign({ passes: ({ context }) => context.passes + 1 }),
        invoke: { src: 'work', input: ({ context }) => context, onDone: 'announcing' },
      },
      announcing: { tags: ['bestEffort'], invoke: { src: 'extra', input: ({ context }) => context, onDone: 'idle' } },
      idle: { tags: ['quiet', 'settled'], on: { LOOK_AGAIN: 'working' } },
    },
  });
  const registry = new KeyedActorRegistry({
    machine,
    systemIdPrefix: 't',
    inputFor: (key) => ({ key }),
    maxBusy,
    stopAtRest,
  });
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
    // Five keys, two at a time: three rounds finish them; more would be a wake-up that never ends.
    for (let round = 0; round < 5 && h.work.size > 0; round++) {
      for (const done of [...h.work.values()]) done();
      await h.settle();
    }
    expect(h.work.size).toBe(0);
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

  it('with stopAtRest, a settled actor is stopped, its key kept with its state; a wake-up starts a fresh actor', async () => {
    const h = harness(1, true);
    h.registry.wake('a');
    h.registry.wake('b');
    await h.settle();
    const first = h.registry.get('a');
    h.work.get('a')?.();
    await h.settle();
    h.extra.get('a')?.();
    await h.settle();
    // a settled: its actor is stopped and gone from the registry, its key and state kept; b got the slot.
    expect(first?.getSnapshot().status).toBe('stopped');
    expect(h.registry.get('a')).toBeUndefined();
    expect(h.registry.restingState('a')).toBe('idle');
    expect(h.registry.size).toBe(2);
    expect(h.registry.census()).toEqual({ idle: 1, working: 1 });
    expect([...h.work.keys()]).toEqual(['b']);
    // A wake-up while the slot is taken waits; once b settles, a starts again as a fresh actor.
    h.registry.wake('a');
    h.work.get('b')?.();
    await h.settle();
    h.extra.get('b')?.();
    await h.settle();
    const again = h.registry.get('a');
    expect(again).toBeDefined();
    expect(again).not.toBe(first);
    expect(again?.getSnapshot().context.passes).toBe(1);
    expect(h.registry.restingState('a')).toBeUndefined();
    expect(h.registry.restingState('b')).toBe('idle');
    // stop forgets a key at rest.
    h.registry.stop('b');
    expect(h.registry.restingState('b')).toBeUndefined();
    expect(h.registry.size).toBe(1);
  });
});
