// Simulated seconds per wall second at the reference size: 200 endpoints and 50 backends under the default
// fault profile, seed 1, for 24 simulated hours of faults plus the 15-minute quiet phase (the Must-show figure:
// >= 1,440, a simulated day in under a minute). CPU seconds are printed beside wall seconds, since on a shared
// machine the wall figure depends on the neighbours. Then the same seed is run twice for one simulated hour to show
// that it gives the same log (final running hash and line count).
//   npm run bench -- sim-speed            (env: SIM_HOURS=24, the simulated hours of the long run)
import { runSimulation, type SimOptions } from '../src/sim/simulation.ts';

const hours = Number(process.env.SIM_HOURS ?? 24);
if (!(hours > 0)) throw new Error(`SIM_HOURS must be a positive number, got "${process.env.SIM_HOURS}"`);
const base: Omit<SimOptions, 'durationMs'> = { seed: 1, endpoints: 200, backends: 50, faults: 'default' };

/** One run; its log is kept only when `keep` (the two 1 h runs are compared whole; a day's log is not held). */
async function timed(opts: SimOptions, keep = false) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const r = await runSimulation({ ...opts, logOutput: { keep } });
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (!r.ok) console.error(`invariant violated (seed ${opts.seed}):`, r.violations.slice(0, 3));
  const last = r.log.last;
  return { r, wall, cpu: (used.user + used.system) / 1e6, hash: /"h":"([0-9a-f]+)"/.exec(last)?.[1] ?? '?' };
}

console.log(
  `seed 1, 200 endpoints, 50 backends, default faults: ${hours} simulated h + 15 min quiet; then 1 h twice for the log`,
);
const rows: string[][] = [
  ['run', 'steps', 'simulated s', 'wall s', 'CPU s', 'sim s / wall s', 'sim s / CPU s', 'log events', 'RSS MiB'],
];
const row = (name: string, t: Awaited<ReturnType<typeof timed>>) => {
  const sim = t.r.simulatedMs / 1000;
  rows.push([
    name,
    String(t.r.steps),
    sim.toFixed(0),
    t.wall.toFixed(1),
    t.cpu.toFixed(1),
    (sim / t.wall).toFixed(0),
    (sim / t.cpu).toFixed(0),
    String(t.r.log.size),
    (process.memoryUsage().rss / 2 ** 20).toFixed(0),
  ]);
};
const long = await timed({ ...base, durationMs: hours * 3_600_000 });
row(`${hours} h`, long);
const a = await timed({ ...base, durationMs: 3_600_000 }, true);
row('1 h (a)', a);
const b = await timed({ ...base, durationMs: 3_600_000 }, true);
row('1 h (b)', b);
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
const same = a.r.log.toString() === b.r.log.toString();
console.log(
  `same seed, same log: ${same ? 'yes' : 'NO'} (${a.r.log.size + 1} lines, final hash ${a.hash} / ${b.hash})`,
);
const speed = long.r.simulatedMs / 1000 / long.wall;
console.log(
  `a simulated day takes ${((86_400 / speed) | 0).toString()} wall s at this speed (target: under 60, i.e. >= 1,440 sim s / wall s)`,
);
if (!same) process.exitCode = 1;
