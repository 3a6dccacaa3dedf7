// Replays every seed of the corpus (test/sim/seeds/README.md): the seeds that found a bug, and the baseline run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../src/sim/simulation.ts';

const dir = join(import.meta.dirname, 'seeds');
const seeds = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f): Record<string, unknown> & { file: string } => ({
    ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>),
    file: f,
  }));

describe('seed corpus', () => {
  it('has seeds', () => expect(seeds.length).toBeGreaterThan(0));
  for (const s of seeds) {
    it(`${s.file}: ${String(s.why)}`, async () => {
      const r = await runSimulation({
        seed: Number(s.seed),
        durationMs: Number(s.durationMs),
        endpoints: Number(s.endpoints),
        backends: Number(s.backends ?? 0),
        ...(s.modernShare === undefined ? {} : { modernShare: Number(s.modernShare) }),
        faults: String(s.faults),
      });
      expect(r.violations).toEqual([]);
    });
  }
});
