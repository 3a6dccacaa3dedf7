// Simulated seconds per wall second for the issue's reference size: 200 endpoints and 50 backends under the default
// fault profile, one simulated hour plus the quiet phase. Printed beside the same run without faults, for the ratio.
import { runSimulation } from '../src/sim/simulation.ts';

const rows: string[][] = [['faults', 'steps', 'simulated s', 'wall s', 'sim s / wall s', 'log events', 'peak RSS MiB']];
let baseline = 0;
for (const faults of ['none', 'default']) {
  const started = performance.now();
  const r = await runSimulation({ seed: 1, durationMs: 3_600_000, endpoints: 200, backends: 50, faults });
  const wall = (performance.now() - started) / 1000;
  const speed = r.simulatedMs / 1000 / wall;
  if (faults === 'none') baseline = speed;
  rows.push([
    faults,
    String(r.steps),
    (r.simulatedMs / 1000).toFixed(0),
    wall.toFixed(2),
    `${speed.toFixed(0)}${faults === 'none' ? '' : ` (${(speed / baseline).toFixed(2)}x of no-fault)`}`,
    String(r.log.size),
    (process.memoryUsage().rss / 2 ** 20).toFixed(0),
  ]);
  if (!r.ok) console.error(`invariant violated (seed 1, ${faults}):`, r.violations.slice(0, 3));
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
