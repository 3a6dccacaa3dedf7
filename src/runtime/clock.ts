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
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Runtime timers never keep a process alive on their own: servers and watches do.
    t.unref();
    return t;
  },
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
