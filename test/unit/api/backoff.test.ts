// The one exponential backoff (src/api/backoff.ts) that every retry path sizes its waits with.
import { describe, expect, it } from 'vitest';
import { backoffMs, fromTop } from '../../../src/api/backoff.ts';
import { seededRng } from '../../../src/runtime/random.ts';

const fixed = (...draws: number[]) => ({ next: () => draws.shift() ?? Number.NaN });

describe('backoff', () => {
  it('grows by the factor from the base and stops at the cap', () => {
    const policy = { baseMs: 500, maxMs: 60_000 };
    expect([0, 1, 2, 6, 7, 200].map((n) => backoffMs(policy, n))).toEqual([500, 1000, 2000, 32_000, 60_000, 60_000]);
    expect(backoffMs({ baseMs: 100, maxMs: 10_000, factor: 3 }, 2)).toBe(900);
  });

  it('takes up to the jitter fraction off, one draw per wait', () => {
    const rng = fixed(0, 0.5, 0.999);
    const policy = { baseMs: 1000, maxMs: 30_000, jitter: 0.2 };
    expect([backoffMs(policy, 0, { rng }), backoffMs(policy, 0, { rng }), backoffMs(policy, 0, { rng })]).toEqual([
      1000,
      900,
      1000 * (1 - 0.2 * 0.999),
    ]);
    expect(rng.next()).toBeNaN();
  });

  it('a server wait replaces the computed one without a draw; a server floor only lengthens it, within the cap', () => {
    const rng = fixed(0.5);
    const policy = { baseMs: 1000, maxMs: 30_000, jitter: 0.5 };
    expect(backoffMs(policy, 3, { rng, serverWaitMs: 42 })).toBe(42);
    expect(rng.next()).toBe(0.5);
    expect(backoffMs({ baseMs: 500, maxMs: 60_000 }, 0, { serverFloorMs: 5000 })).toBe(5000);
    expect(backoffMs({ baseMs: 500, maxMs: 60_000 }, 4, { serverFloorMs: 10 })).toBe(8000);
    expect(backoffMs({ baseMs: 500, maxMs: 60_000 }, 0, { serverFloorMs: 1e9 })).toBe(60_000);
  });

  it('read from the top, a seeded draw gives exactly the (0.5 + r/2) wait the operator queues use', () => {
    const a = seededRng(7);
    const b = seededRng(7);
    for (let n = 0; n < 2000; n++) {
      const capped = Math.min(60_000, 500 * 2 ** (n % 10));
      expect(backoffMs({ baseMs: 500, maxMs: 60_000, jitter: 0.5 }, n % 10, { rng: fromTop(a) })).toBe(
        capped * (0.5 + b.next() / 2),
      );
    }
  });

  it('refuses jitter without randomness', () => {
    expect(() => backoffMs({ baseMs: 1, maxMs: 2, jitter: 0.1 }, 0)).toThrow(/needs an rng/);
  });
});
