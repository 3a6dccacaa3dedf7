// Time for effects and the runtime: injected, never the globals (the lint bans Date and setTimeout in src/actors). The runtime
// passes the real clock; tests and the simulator pass a simulated one. The shape extends XState's Clock with now().
export interface ActorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Resolve after `ms` on `clock`; resolve early (to false) when `signal` aborts. True when the full wait elapsed. */
export function sleep(clock: ActorClock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
