// Time for the runtime's own timers (informer backoff, queue retries, resync, shutdown grace): the system clock in
// production, the simulator's scheduler in `mcpre sim`, so a simulated operator is as deterministic as its machines.
// XState's Clock ({setTimeout, clearTimeout}) is a subset, so one object serves both.
export interface RuntimeClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export const systemClock: RuntimeClock = {
  now: () => Date.now(),
  // Referenced timers, like the ones they replace: a shutdown that waits for in-flight work must keep the process
  // alive while it waits (an unreferenced wait let Node exit with code 13 mid-drain). Owners clear them on stop.
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`; resolves early (never rejects) when `signal` aborts. */
export function sleepOn(clock: RuntimeClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clock.clearTimeout(id);
      resolve();
    };
    const id = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
