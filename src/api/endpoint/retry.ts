// How the reconciler reacts to a failed Kubernetes API call: 409 means "look again from fresh state", 404 means the
// object went away, 429 and 5xx (and network errors) mean "back off and retry", anything else is a problem with what
// was sent (for example a 422 from an invalid override) that retrying as-is will not fix.
import { backoffMs } from '../backoff.ts';

export type ApiFailureClass = 'conflict' | 'notFound' | 'throttled' | 'transient' | 'rejected';

/** The shape of an API error as it crosses the actor boundary (see src/actors/kube/kube-api.ts). */
export interface ApiErrorLike {
  code?: number;
  message?: string;
  retryAfterMs?: number;
}

export function classifyApiFailure(error: unknown): ApiFailureClass {
  const code = (error as ApiErrorLike | null)?.code;
  if (code === undefined) return 'transient';
  if (code === 409) return 'conflict';
  if (code === 404 || code === 410) return 'notFound';
  if (code === 429) return 'throttled';
  if (code >= 500 || code === 408) return 'transient';
  return 'rejected';
}

export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string')
    return error.message;
  return String(error);
}

export function retryAfterOf(error: unknown): number | undefined {
  const ms = (error as ApiErrorLike | null)?.retryAfterMs;
  return typeof ms === 'number' && ms >= 0 ? ms : undefined;
}

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 500, maxMs: 60_000 };

/** Exponential backoff by consecutive failures (1 = first failure); a server's Retry-After wins when it is longer. */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy = DEFAULT_RETRY,
): number {
  return backoffMs(policy, attempt - 1, { serverFloorMs: retryAfterMs });
}
