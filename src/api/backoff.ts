// The one exponential backoff: per-object retries of the reconcilers and the keyed queue, reflector relists, backend
// session reconnection and stream resumption all size their waits here. Pure: the retry count, the policy, the random
// draw and a server's wish are inputs, so machines can use it and a seeded simulation replays it.

export interface BackoffPolicy {
  /** The first wait. */
  baseMs: number;
  /** No computed wait is longer. */
  maxMs: number;
  /** Growth per retry; 2 doubles. */
  factor?: number;
  /** Up to this fraction of the wait is taken off at random, in [0, 1). 0 (the default) draws nothing. */
  jitter?: number;
}

export interface BackoffOptions {
  /** The randomness for the jitter: one draw per call, only when the policy has jitter and no server wait applies. */
  rng?: { next(): number };
  /** A wait the server asked for that replaces the computed one (an SSE `retry` field); no draw is made. */
  serverWaitMs?: number;
  /** A wait the server asked for that only lengthens the computed one, capped at maxMs (an HTTP Retry-After). */
  serverFloorMs?: number;
}

/**
 * The wait before retry number `retry` (0 for the first): `base * factor^retry`, capped at `max`, less up to `jitter`
 * of itself. Taking off rather than adding keeps every wait within the cap.
 */
export function backoffMs(policy: BackoffPolicy, retry: number, opts: BackoffOptions = {}): number {
  if (opts.serverWaitMs !== undefined) return opts.serverWaitMs;
  const capped = Math.min(policy.baseMs * (policy.factor ?? 2) ** Math.min(Math.max(0, retry), 52), policy.maxMs);
  const jitter = policy.jitter ?? 0;
  let wait = capped;
  if (jitter > 0) {
    if (!opts.rng) throw new Error('a backoff policy with jitter needs an rng');
    wait = capped * (1 - jitter * opts.rng.next());
  }
  return opts.serverFloorMs === undefined ? wait : Math.max(wait, Math.min(opts.serverFloorMs, policy.maxMs));
}

/**
 * The same generator read from the top of [0, 1): each draw r becomes 1 - r. The operator's queues and reflectors
 * keep half the wait and add a random part that grows with the draw, (0.5 + r/2) of it; with jitter 0.5 and this
 * source the formula above gives exactly that number (r is a multiple of 2^-53, so 1 - r and the halving are exact),
 * and a seed replays the same waits.
 */
export function fromTop(rng: { next(): number }): { next(): number } {
  return { next: () => 1 - rng.next() };
}
