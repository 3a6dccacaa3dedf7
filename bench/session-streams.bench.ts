// Backend sessions with their notification stream open, in both eras, each against a fixture in its own process:
// 2025 sessions (initialize, Mcp-Session-Id, the GET stream) against the fault fixture, and 2026-07-28 connections
// (server/discover, no session, a `subscriptions/listen` stream) against the v2 SDK's stateless handler
// (bench/modern-echo-server.ts). Per era and size: how long until N sessions are ready with their stream open, what
// each costs in this process's memory, how long one tools list change takes to reach all N (the fixture announces it,
// every session re-fetches its tools), and how long closing all takes (DELETE of each session in 2025; nothing to
// end on the server in 2026-07-28: streams are aborted).
//   npx node bench/session-streams.bench.ts [N | 2025:N | 2026:N ...]   (default: 1000 10000, both eras)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { waitFor } from 'xstate';
import { createHttpClient } from '../src/actors/mcp/http/http-client.ts';
import { sessionPhase, streamPhase } from '../src/machines/backend-session-status.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { seededRng } from '../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../src/runtime/start-backend-session.ts';
import { mib, modernMain, rssOf, settleGc, startFixtureProcess, table } from './session-fixture.ts';

type Era = '2025' | '2026';
const runs = process.argv.slice(2).flatMap((arg): Array<{ era: Era; n: number }> => {
  const [era, count] = arg.includes(':') ? arg.split(':') : [undefined, arg];
  const n = Number(count);
  if (!(n > 0)) return [];
  if (era === '2025' || era === '2026') return [{ era, n }];
  return [
    { era: '2025', n },
    { era: '2026', n },
  ];
});
const plan = runs.length ? runs : [1000, 10_000].flatMap((n) => (['2025', '2026'] as const).map((era) => ({ era, n })));
if (plan.length > 1) {
  // One fresh process per era and size: RSS never shrinks back, so a second run in the same process would be off.
  const rows: Array<Record<string, string | number>> = [];
  for (const { era, n } of plan) {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), `${era}:${n}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = child.stdout.split('\n').find((l) => l.startsWith('ROW '));
    if (!line) {
      // One size that does not finish (e.g. on a loaded machine) leaves the other rows standing.
      console.log(`${era}:${n} failed (exit ${child.status}):\n${child.stdout.slice(-2000)}`);
      continue;
    }
    rows.push(JSON.parse(line.slice(4)));
    console.log(table(rows.slice(-1)));
  }
  console.log(
    '\nbackend sessions with open notification streams: 2025 = GET stream (fault fixture), 2026 = subscriptions/listen (v2 SDK stateless); one process per row, fixture in another process',
  );
  if (rows.length) console.log(table(rows));
  process.exit(rows.length === plan.length ? 0 : 1);
}

const BATCH = 250;
const TIMEOUT_MS = 120_000;
/**
 * Wait (bounded) for every session to reach `done`; how many did. `fatal`: a shortfall ends the run with the stage's
 * name, as the rest of the row would measure something else.
 */
async function all(
  stage: string,
  batch: RunningBackendSession[],
  done: (snapshot: ReturnType<RunningBackendSession['actor']['getSnapshot']>) => boolean,
  fatal = true,
): Promise<number> {
  const settled = await Promise.allSettled(
    batch.map((s) => waitFor(s.actor, (snap) => done(snap), { timeout: TIMEOUT_MS })),
  );
  const reached = settled.filter((r) => r.status === 'fulfilled').length;
  if (reached < batch.length && fatal) {
    console.log(`${stage}: ${reached}/${batch.length} within ${TIMEOUT_MS} ms`);
    process.exit(1);
  }
  return reached;
}
const log = pino({ level: 'silent' });
const { era, n } = plan[0]!;
const modern = era === '2026';
const fixture = await startFixtureProcess({ keepAliveMs: 60_000 }, ...(modern ? [modernMain] : []));
const http = createHttpClient({ clock: systemClock });
settleGc();
const before = process.memoryUsage();
const started = performance.now();
const sessions: RunningBackendSession[] = [];
for (let i = 0; i < n; i += BATCH) {
  const batch: RunningBackendSession[] = [];
  for (let j = i; j < Math.min(n, i + BATCH); j++) {
    batch.push(startBackendSession({ backendId: `b${j}`, url: fixture.url, http, log, rng: seededRng(j) }));
  }
  await all(
    `sessions ${i}-${i + batch.length - 1} ready with their stream open`,
    batch,
    (snap) => streamPhase(snap) === 'open',
  );
  sessions.push(...batch);
}
const readyMs = performance.now() - started;
await new Promise((r) => setTimeout(r, 2000));
settleGc();
const after = process.memoryUsage();
const open = sessions.filter((s) => streamPhase(s.actor.getSnapshot()) === 'open').length;
const ready = sessions.filter((s) => sessionPhase(s.actor.getSnapshot()) === 'ready').length;
const versions = new Set(sessions.map((s) => s.actor.getSnapshot().context.session?.protocolVersion));
const stats = (await fixture.control('stats')) as { getStreams?: number; listeners?: number };
const fixtureRss = rssOf(fixture.pid);

// One list change, announced on every stream; done when every session holds the new list.
const changed = 'bench_changed';
const changeStart = performance.now();
await fixture.control('setTools', modern ? [changed] : ['echo', 'add', 'slow', 'big', 'log', changed]);
const heard = await all(
  'the list change reaching every session',
  sessions,
  (snap) => snap.context.lists.tools.some((t) => t.name === changed),
  false,
);
const changeMs = performance.now() - changeStart;

const closeStart = performance.now();
await Promise.all(sessions.map((s) => s.stop(30_000)));
const closeMs = performance.now() - closeStart;
const row = {
  era,
  protocol: [...versions].join(','),
  sessions: n,
  'ready+stream open': `${(readyMs / 1000).toFixed(1)} s`,
  ready,
  'open (ours/fixture)': `${open}/${modern ? stats.listeners : stats.getStreams}`,
  'RSS before': `${mib(before.rss)} MiB`,
  'RSS after': `${mib(after.rss)} MiB`,
  'RSS/session': `${((after.rss - before.rss) / n / 1024).toFixed(1)} KiB`,
  'heap/session': `${((after.heapUsed - before.heapUsed) / n / 1024).toFixed(1)} KiB`,
  'fixture RSS': `${mib(fixtureRss)} MiB`,
  'list change to all': heard === n ? `${(changeMs / 1000).toFixed(2)} s` : `${heard}/${n} in ${TIMEOUT_MS / 1000} s`,
  'close all': `${(closeMs / 1000).toFixed(1)} s`,
};
await http.close();
await fixture.stop();

console.log(`ROW ${JSON.stringify(row)}`);
console.log(table([row]));
process.exit(0);
