// A 404 storm: every backend's session is dropped at once (the fixture forgets all sessions, as a restarted remote
// would). Measured: time until every backend is ready again with its GET stream open, re-initializations per backend
// (the aim is exactly one, shared by all its callers), and calls that failed. Two variants: callers in flight at the
// moment of the drop (each backend gets CALLS concurrent tools/call), and idle backends that learn of the loss only
// through their GET stream.
//   npx node bench/session-404-storm.bench.ts [backends] [calls per backend]     (default: 1000 3)
import pino from 'pino';
import { waitFor } from 'xstate';
import { createHttpClient } from '../src/actors/mcp/http/http-client.ts';
import { withBackendSession } from '../src/machines/backend-session-requests.ts';
import { sessionPhase, streamPhase } from '../src/machines/backend-session-status.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { seededRng } from '../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../src/runtime/start-backend-session.ts';
import { startFixtureProcess, table } from './session-fixture.ts';

const backends = Number(process.argv[2] ?? 1000);
const callsPerBackend = Number(process.argv[3] ?? 3);
const log = pino({ level: 'silent' });
const fixture = await startFixtureProcess({ keepAliveMs: 60_000 });
const http = createHttpClient({ clock: systemClock });
const sessions: RunningBackendSession[] = [];
for (let i = 0; i < backends; i += 250) {
  const batch: RunningBackendSession[] = [];
  for (let j = i; j < Math.min(backends, i + 250); j++) {
    batch.push(startBackendSession({ backendId: `b${j}`, url: fixture.url, http, log, rng: seededRng(j) }));
  }
  await Promise.all(batch.map((s) => waitFor(s.actor, (x) => streamPhase(x) === 'open', { timeout: 120_000 })));
  sessions.push(...batch);
}

const allRecovered = (before: Map<RunningBackendSession, string | undefined>) =>
  Promise.all(
    sessions.map((s) =>
      waitFor(
        s.actor,
        (x) =>
          sessionPhase(x) === 'ready' &&
          x.context.session?.sessionId !== before.get(s) &&
          ['open', 'unsupported'].includes(streamPhase(x)),
        { timeout: 180_000 },
      ),
    ),
  );

const rows: Array<Record<string, string | number>> = [];
for (const variant of ['calls in flight', 'idle (GET stream notices)'] as const) {
  const before = new Map(sessions.map((s) => [s, s.actor.getSnapshot().context.session?.sessionId]));
  const reinitBefore = new Map(sessions.map((s) => [s, s.actor.getSnapshot().context.reinitializations]));
  const initsBefore = ((await fixture.control('stats')) as { initializes: number }).initializes;
  const started = performance.now();
  const dropped = (await fixture.control('dropSessions')) as number;
  let failed = 0;
  let ok = 0;
  const failures = new Map<string, number>();
  const calls =
    variant === 'calls in flight'
      ? sessions.flatMap((s, i) =>
          Array.from({ length: callsPerBackend }, (_, k) =>
            withBackendSession(s.actor, (c) =>
              c.request('tools/call', { name: 'add', arguments: { a: i, b: k } }),
            ).then(
              (r) => {
                const text = (r.result.content as Array<{ text?: string }>)[0]?.text;
                if (text === String(i + k)) ok++;
                else failed++;
              },
              (err: unknown) => {
                failed++;
                const key = (err instanceof Error ? err.message : String(err))
                  .replace(/b\d+/, 'bN')
                  .replace(/\d+ ms/, 'N ms');
                failures.set(key, (failures.get(key) ?? 0) + 1);
              },
            ),
          ),
        )
      : [];
  await Promise.all([allRecovered(before), ...calls]);
  const ms = performance.now() - started;
  const initsAfter = ((await fixture.control('stats')) as { initializes: number }).initializes;
  const perBackend = sessions.map(
    (s) => s.actor.getSnapshot().context.reinitializations - (reinitBefore.get(s) as number),
  );
  rows.push({
    variant,
    backends,
    dropped,
    'all ready + GET open': `${(ms / 1000).toFixed(2)} s`,
    'reinit/backend (min/mean/max)': `${Math.min(...perBackend)}/${(perBackend.reduce((a, b) => a + b, 0) / backends).toFixed(2)}/${Math.max(...perBackend)}`,
    'initialize requests': initsAfter - initsBefore,
    calls: variant === 'calls in flight' ? backends * callsPerBackend : 0,
    'calls ok': ok,
    'calls failed': failed,
  });
  for (const [message, n] of failures) console.log(`  failed x${n}: ${message}`);
  console.log(table(rows.slice(-1)));
  await new Promise((r) => setTimeout(r, 12_000)); // let every new session become stable before the next storm
}

console.log('\n404 storm: every backend loses its session at once');
console.log(table(rows));
await Promise.all(sessions.map((s) => s.stop(30_000)));
await http.close();
await fixture.stop();
process.exit(0);
