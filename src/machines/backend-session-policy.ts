// The RFC's reconnection numbers in one place, and how they become a wait (the shared backoff in src/api/backoff.ts).
// Pure: randomness comes from the injected Rng, so the same seed gives the same waits.
import { backoffMs } from '../api/backoff.ts';

/** Randomness in [0, 1); the runtime passes `seededRng(seed)` from src/runtime/random.ts (same shape). */
export interface SessionRng {
  next(): number;
}

export interface SessionPolicy {
  /** First backoff wait (RFC: 1 s). */
  initialBackoffMs: number;
  /** Backoff cap (RFC: 30 s). */
  maxBackoffMs: number;
  /** Jitter as a fraction of the wait, taken off it: a wait lies in [base * (1 - jitter), base]. */
  backoffJitter: number;
  /** Consecutive failed attempts that open the circuit (RFC: 5). */
  breakerThreshold: number;
  /** Half-open probe interval while the circuit is open (RFC: 60 s). */
  probeIntervalMs: number;
  /** Bound on each establishing step (connect, initialize, discover), so a silent server cannot hang a session. */
  stepTimeoutMs: number;
  /** Upper bound on a server's SSE `retry` value, so a hostile or buggy server cannot park a session for days. */
  maxRetryOverrideMs: number;
  /** Bound on the DELETE at shutdown. */
  terminateTimeoutMs: number;
  /** A session that survives this long in `ready` is stable: losing it later re-initializes at once. */
  stableAfterMs: number;
}

export const DEFAULT_SESSION_POLICY: Readonly<SessionPolicy> = Object.freeze({
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
  backoffJitter: 0.2,
  breakerThreshold: 5,
  probeIntervalMs: 60_000,
  stepTimeoutMs: 30_000,
  maxRetryOverrideMs: 300_000,
  terminateTimeoutMs: 5000,
  stableAfterMs: 10_000,
});

export function resolvePolicy(overrides: Partial<SessionPolicy> | undefined): SessionPolicy {
  const policy = { ...DEFAULT_SESSION_POLICY, ...overrides };
  if (!(policy.backoffJitter >= 0 && policy.backoffJitter < 1)) {
    throw new Error(`backoffJitter must be in [0, 1), got ${policy.backoffJitter}`);
  }
  if (!(Number.isInteger(policy.breakerThreshold) && policy.breakerThreshold >= 1)) {
    throw new Error(`breakerThreshold must be a positive integer, got ${policy.breakerThreshold}`);
  }
  for (const key of ['initialBackoffMs', 'maxBackoffMs', 'probeIntervalMs', 'stepTimeoutMs'] as const) {
    if (!(policy[key] > 0)) throw new Error(`${key} must be positive, got ${policy[key]}`);
  }
  return policy;
}

/**
 * The wait before retry number `step` (0 for the first retry): `initial * 2^step`, capped, minus up to `jitter` of
 * itself. Subtracting keeps the RFC's bounds true for every draw: no wait is longer than the cap.
 */
export function backoffDelayMs(step: number, policy: SessionPolicy, rng: SessionRng): number {
  const backoff = { baseMs: policy.initialBackoffMs, maxMs: policy.maxBackoffMs, jitter: policy.backoffJitter };
  return Math.round(backoffMs(backoff, step, { rng }));
}

/** A server's `retry` value as a wait: respected, but bounded. */
export function retryOverrideMs(ms: number, policy: SessionPolicy): number {
  return Math.max(0, Math.min(Math.round(ms), policy.maxRetryOverrideMs));
}
