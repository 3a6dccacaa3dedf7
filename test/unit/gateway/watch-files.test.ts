// The file watch behind secret rotation, on real files laid out as the kubelet writes a Secret volume (`..data`
// swapped to a new timestamped directory): the poll runs on the injected clock, a directory event brings the check
// forward, nothing is reported when nothing changed, and a stopped watch leaves no timer behind.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeClock } from '../../../src/runtime/clock.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { watchFiles } from '../../../src/runtime/watch-files.ts';
import { writeAtomicVolume } from '../../support/kubelet-volume.ts';

/** Timers that run only when the test advances time. */
function manualClock() {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: RuntimeClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      nextId += 1;
      timers.set(nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout: (id) => void timers.delete(id as number),
  };
  return {
    clock,
    pending: () => timers.size,
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...timers]) {
        if (t.at > now) continue;
        timers.delete(id);
        t.fn();
      }
    },
  };
}

/** The next onChange call, or a timeout naming what did not happen. */
function changes() {
  const seen: string[][] = [];
  let waiter: ((changed: string[]) => void) | undefined;
  return {
    seen,
    onChange: (changed: string[]) => {
      seen.push(changed);
      waiter?.(changed);
      waiter = undefined;
    },
    next: (ms = 5000) =>
      new Promise<string[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no change reported within ${ms} ms`)), ms);
        waiter = (changed) => {
          clearTimeout(timer);
          resolve(changed);
        };
      }),
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'watch-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('watchFiles', () => {
  it('reports a kubelet-style swap on the next poll of the injected clock, and nothing while nothing changes', async () => {
    const volume = join(dir, 'creds');
    await writeAtomicVolume(volume, { 'api-key': 'old', other: 'same' });
    const t = manualClock();
    const c = changes();
    const watch = watchFiles({
      paths: [join(volume, 'api-key'), join(volume, 'other')],
      clock: t.clock,
      intervalMs: 2000,
      onChange: c.onChange,
      watchDir: null,
    });
    await watch.ready;
    expect(t.pending()).toBe(1);
    expect(await watch.check()).toEqual([]);

    await writeAtomicVolume(volume, { 'api-key': 'new', other: 'same' });
    t.advance(1999);
    expect(c.seen).toEqual([]);
    const reported = c.next();
    t.advance(1);
    // Every key is a new file after a swap (the kubelet rewrites the whole payload).
    expect(await reported).toEqual([join(volume, 'api-key'), join(volume, 'other')]);
    // The poll goes on, and reports nothing more while nothing changes.
    await watch.check();
    t.advance(2000);
    await watch.check();
    expect(c.seen).toHaveLength(1);
    watch.stop();
    expect(t.pending()).toBe(0);
  });

  it('reports a file that appears or disappears, and an in-place rewrite of a plain file', async () => {
    const plain = join(dir, 'plain');
    const later = join(dir, 'later');
    await writeFile(plain, 'one');
    const t = manualClock();
    const c = changes();
    const watch = watchFiles({
      paths: [plain, later],
      clock: t.clock,
      intervalMs: 1000,
      onChange: c.onChange,
      watchDir: null,
    });
    await watch.ready;
    await writeFile(later, 'x');
    expect(await watch.check()).toEqual([later]);
    await rm(later);
    expect(await watch.check()).toEqual([later]);
    await writeFile(plain, 'two-longer');
    expect(await watch.check()).toEqual([plain]);
    expect(c.seen).toEqual([[later], [later], [plain]]);
    watch.stop();
  });

  it('checks soon after a directory event, without waiting for the poll', async () => {
    const volume = join(dir, 'token');
    await writeAtomicVolume(volume, { token: 'old' });
    const c = changes();
    const errors: unknown[] = [];
    // The poll is an hour away: only the directory event can bring the check forward.
    const watch = watchFiles({
      paths: [join(volume, 'token')],
      clock: systemClock,
      intervalMs: 3_600_000,
      settleMs: 20,
      onChange: c.onChange,
      onWatchError: (_dir, err) => errors.push(err),
    });
    await watch.ready;
    const reported = c.next(5000);
    await writeAtomicVolume(volume, { token: 'new' });
    expect(await reported).toEqual([join(volume, 'token')]);
    expect(errors).toEqual([]);
    watch.stop();
  });

  it('polls a directory it cannot watch, and says why', async () => {
    const missing = join(dir, 'not-yet', 'key');
    const t = manualClock();
    const c = changes();
    const errors: string[] = [];
    const watch = watchFiles({
      paths: [missing],
      clock: t.clock,
      intervalMs: 500,
      onChange: c.onChange,
      onWatchError: (d) => errors.push(d),
    });
    await watch.ready;
    expect(errors).toEqual([join(dir, 'not-yet')]);
    await writeAtomicVolume(join(dir, 'not-yet'), { key: 'v' });
    const reported = c.next();
    t.advance(500);
    expect(await reported).toEqual([missing]);
    watch.stop();
    expect(t.pending()).toBe(0);
  });

  it('reports nothing once stopped', async () => {
    const file = join(dir, 'f');
    await writeFile(file, 'a');
    const t = manualClock();
    const c = changes();
    const watch = watchFiles({ paths: [file], clock: t.clock, intervalMs: 100, onChange: c.onChange, watchDir: null });
    await watch.ready;
    watch.stop();
    await writeFile(file, 'changed');
    t.advance(1000);
    await watch.check();
    expect(c.seen).toEqual([]);
  });
});
