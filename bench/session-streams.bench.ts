// Backend sessions with open GET streams against the fault fixture (in its own process): how long until N sessions
// are ready with their notification stream open, and what each costs in this process's memory.
//   npx node bench/session-streams.bench.ts [N...]      (default: 1000 10000)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { waitFor } from 'xstate';
import { createHttpClient } from '../src/actors/mcp/http/http-client.ts';
import { sessionPhase, streamPhase } from '../src/machines/backend-session-status.ts';
import { seededRng } from '../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../src/runtime/start-backend-session.ts';
import { mib, rssOf, settleGc, startFixtureProcess, table } from './session-fixture.ts';

const counts = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const sizes = counts.length ? counts : [1000, 10_000];
if (sizes.length > 1) {
  // One fresh process per size: RSS never shrinks back, so a second size measured in the same process would be off.
  const rows: Array<Record<string, string | number>> = [];
  for (const n of sizes) {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = child.stdout.split('\n').find((l) => l.startsWith('ROW '));
    if (!line) throw new Error(`size ${n} failed:\n${child.stdout}`);
    rows.push(JSON.parse(line.slice(4)));
    console.log(table(rows.slice(-1)));
  }
  console.log('\nbackend sessions with open GET streams (one process per size, loopback fixture in another process)');
  console.log(table(rows));
  process.exit(0);
}
const BATCH = 250;
const log = pino({ level: 'silent' });
const rows: Array<Record<string, string | number>> = [];

for (const n of sizes) {
  const fixture = await startFixtureProcess({ keepAliveMs: 60_000 });
  const http = createHttpClient();
  settleGc();
  const before = process.memoryUsage();
  const started = performance.now();
  const sessions: RunningBackendSession[] = [];
  for (let i = 0; i < n; i += BATCH) {
    const batch: RunningBackendSession[] = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      batch.push(startBackendSession({ backendId: `b${j}`, url: fixture.url, http, log, rng: seededRng(j) }));
    }
    await Promise.all(batch.map((s) => waitFor(s.actor, (snap) => streamPhase(snap) === 'open', { timeout: 120_000 })));
    sessions.push(...batch);
  }
  const readyMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 2000));
  settleGc();
  const after = process.memoryUsage();
  const open = sessions.filter((s) => streamPhase(s.actor.getSnapshot()) === 'open').length;
  const ready = sessions.filter((s) => sessionPhase(s.actor.getSnapshot()) === 'ready').length;
  const stats = (await fixture.control('stats')) as { getStreams: number };
  const fixtureRss = rssOf(fixture.pid);
  const closeStart = performance.now();
  await Promise.all(sessions.map((s) => s.stop(30_000)));
  const closeMs = performance.now() - closeStart;
  rows.push({
    sessions: n,
    'ready+GET open': `${(readyMs / 1000).toFixed(1)} s`,
    ready,
    'GET open (ours/fixture)': `${open}/${stats.getStreams}`,
    'RSS before': `${mib(before.rss)} MiB`,
    'RSS after': `${mib(after.rss)} MiB`,
    'RSS/session': `${((after.rss - before.rss) / n / 1024).toFixed(1)} KiB`,
    'heap/session': `${((after.heapUsed - before.heapUsed) / n / 1024).toFixed(1)} KiB`,
    'fixture RSS': `${mib(fixtureRss)} MiB`,
    'close all (DELETE)': `${(closeMs / 1000).toFixed(1)} s`,
  });
  await http.close();
  await fixture.stop();
}

console.log(`ROW ${JSON.stringify(rows[0])}`);
console.log(table(rows));
process.exit(0);
