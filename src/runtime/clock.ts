// Time for the runtime's own timers (informer backoff, queue retries, resync, shutdown grace): the system clock in
// production, the simulator's scheduler in `mcpre sim`, so a simulated operator is as deterministic as its machines.
// It is the same injected clock the effects use (src/actors/clock.ts); XState's Clock is a subset of it.
import { type ActorClock, sleep } from '../actors/clock.ts';

export type RuntimeClock = ActorClock;

export const systemClock: RuntimeClock = {
  now: () => Date.now(),
  // Referenced timers: a shutdown that waits for in-flight work must keep the process alive while it waits (an
  // unreferenced wait let Node exit with code 13 mid-drain). Owners clear them on stop.
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`; resolves early (never rejects) when `signal` aborts. */
export async function sleepOn(clock: RuntimeClock, ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(clock, ms, signal);
}
