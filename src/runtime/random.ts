import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Randomness that machines and actors receive instead of calling Math.random, so a simulation seed replays. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

/** A seeded generator (xoroshiro128+, the one fast-check uses): the same seed gives the same sequence. */
export function seededRng(seed: number): Rng {
  const gen = xoroshiro128plus(seed);
  // Small seeds start in a low-entropy state (the first draw of seed 7 is 0.9999999): discard a few draws.
  for (let i = 0; i < 16; i++) uniformFloat64(gen);
  return { next: () => uniformFloat64(gen) };
}

/** Production randomness: seeded once from the high-resolution clock, behind the same interface. */
export function systemRng(): Rng {
  return seededRng(Number(process.hrtime.bigint() % 0x7fffffffn));
}
