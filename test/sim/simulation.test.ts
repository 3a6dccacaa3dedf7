import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { optionsFromHeader } from '../../src/sim/replay.ts';
import { runSimulation } from '../../src/sim/simulation.ts';

describe('mcpre sim', () => {
  it('gives a byte-identical log for the same seed, and a different one for another seed', async () => {
    const opts = { seed: 7, durationMs: 60 * 60_000, endpoints: 40, backends: 3, faults: 'default' };
    const a = await runSimulation(opts);
    const b = await runSimulation(opts);
    expect(a.ok, JSON.stringify(a.violations)).toBe(true);
    expect(a.log.toString()).toBe(b.log.toString());
    expect(a.log.size).toBeGreaterThan(500);
    const c = await runSimulation({ ...opts, seed: 8 });
    expect(c.log.toString()).not.toBe(a.log.toString());
  });

  it('catches a deliberately broken status and replays to the same step from the recorded header', async () => {
    const opts = {
      seed: 11,
      durationMs: 30 * 60_000,
      endpoints: 30,
      backends: 0,
      faults: 'default',
      injectBug: 'status' as const,
    };
    const first = await runSimulation(opts);
    expect(first.ok).toBe(false);
    expect(first.violations[0]?.invariant).toBe('statusUrlFollowsRfc');
    expect(first.violations[0]?.detail).toContain('rogue.invalid');
    const again = await runSimulation(optionsFromHeader(first.log.lines[0]!));
    expect(again.failedAtStep).toBe(first.failedAtStep);
    expect(again.log.toString()).toBe(first.log.toString());
  });

  it('catches a caller that reuses a connection after its 404', async () => {
    const r = await runSimulation({
      seed: 5,
      durationMs: 60 * 60_000,
      endpoints: 0,
      backends: 4,
      faults: 'harsh',
      injectBug: 'session',
    });
    expect(r.ok).toBe(false);
    expect(r.violations[0]?.invariant).toBe('noRequestAfter404');
    const again = await runSimulation(optionsFromHeader(r.log.lines[0]!));
    expect(again.failedAtStep).toBe(r.failedAtStep);
  });

  it('opens a circuit only after exactly 5 failures and probes every 60 s (harsh backends)', async () => {
    const r = await runSimulation({ seed: 10, durationMs: 60 * 60_000, endpoints: 0, backends: 5, faults: 'harsh' });
    expect(r.ok, JSON.stringify(r.violations)).toBe(true);
    const events = r.log.lines.slice(1).map((l) => JSON.parse(l) as { actor: string; t: number; state: unknown });
    const opened = events.filter((e) => JSON.stringify(e.state) === '{"unavailable":"waiting"}');
    expect(opened.length).toBeGreaterThan(0);
    for (const o of opened) {
      const probe = events.find(
        (e) => e.actor === o.actor && e.t > o.t && JSON.stringify(e.state) === '{"unavailable":"probing"}',
      );
      // Each circuit here opened more than a minute before the run ended, so its probe is in the log.
      expect(o.t + 60_000).toBeLessThanOrEqual(r.simulatedMs);
      expect(probe?.t).toBe(o.t + 60_000);
    }
  });

  it('holds every invariant over random seeds and fault profiles (fast-check, seeded, bounded)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom('none', 'default', 'harsh'),
        async (seed, faults) => {
          const r = await runSimulation({ seed, durationMs: 20 * 60_000, endpoints: 15, backends: 2, faults });
          if (!r.ok)
            throw new Error(
              `seed ${seed} (${faults}) violated at step ${r.failedAtStep}: ${JSON.stringify(r.violations.slice(0, 3))}`,
            );
        },
      ),
      { numRuns: 12, seed: 20261125, endOnFailure: true },
    );
  });

  it('serves a seeded third of the backends as 2026-07-28 servers whose listen streams break and are re-opened', async () => {
    const opts = { seed: 3, durationMs: 60 * 60_000, endpoints: 0, backends: 6, faults: 'default' };
    const r = await runSimulation(opts);
    expect(r.ok, JSON.stringify(r.violations)).toBe(true);
    const modern = r.backends.filter((b) => b.era === 'modern');
    expect(modern).toHaveLength(2);
    for (const b of modern) {
      expect(b.stats.listenBreaks).toBeGreaterThan(0);
      expect(b.stats.initializations).toBe(0);
    }
    const again = await runSimulation(optionsFromHeader(r.log.lines[0]!));
    expect(again.log.toString()).toBe(r.log.toString());
  });
});
