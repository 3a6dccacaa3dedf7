// The one real clock: the only wall-clock time and global timers in the process, behind the injected clock interface
// (src/actors/clock.ts) that machines, effects and the runtime's own timers (informer backoff, queue retries, resync,
// shutdown grace) take. The simulator passes its scheduler instead, so a simulated operator is as deterministic as its
// machines; XState's Clock is a subset of the interface.
import { type ActorClock, sleep } from '../actors/clock.ts';
import type { LeaseClock } from '../actors/lease/lease-actors.ts';
import { microTimeAt } from '../api/kube-time.ts';

export type RuntimeClock = ActorClock;

export const systemClock: RuntimeClock = {
  now: () => Date.now(),
  // Referenced timers: a shutdown that waits for in-flight work must keep the process alive while it waits (an
  // unreferenced wait let Node exit with code 13 mid-drain). Owners clear them on stop.
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** The same clock as the Lease actors read it (Lease records carry Kubernetes MicroTime). */
export const systemLeaseClock: LeaseClock = { nowMs: () => systemClock.now(), microTime: microTimeAt };

/** Resolves after `ms` on `clock`; resolves early (never rejects) when `signal` aborts. */
export async function sleepOn(clock: RuntimeClock, ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(clock, ms, signal);
}
