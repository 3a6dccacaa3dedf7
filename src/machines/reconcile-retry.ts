// What the level-triggered reconcilers (endpoint, virtualMcpServer) share: the bookkeeping of wake-ups and failed
// API calls in their context, the guards and context updates that read and write it, and the transitions a failed
// write takes. Each machine wraps the updates in its own `assign` (so they are typed by its own setup) and builds
// its chart from the transition helpers with its own id.
import {
  classifyApiFailure,
  DEFAULT_RETRY,
  errorMessage,
  type RetryPolicy,
  retryAfterOf,
  retryDelayMs,
} from '../api/endpoint/retry.ts';

/** The part of a reconciler's context that tracks wake-ups, conflicts and retries. */
export interface RetryBookkeeping {
  retry: RetryPolicy;
  maxConflicts: number;
  /** A wake-up arrived while busy: look again once the current pass is done. */
  dirty: boolean;
  /** The next observation must read the object from the API, not the cache (after a 409). */
  fresh: boolean;
  attempt: number;
  conflicts: number;
  retryAfterMs: number | undefined;
  lastError: string | null;
}

interface RetryArgs {
  context: RetryBookkeeping;
  event: unknown;
}

/** The bookkeeping of a fresh actor; after `maxConflicts` 409s in a row (5 by default) it backs off. */
export function initialRetryBookkeeping(input: { retry?: RetryPolicy; maxConflicts?: number }): RetryBookkeeping {
  return {
    retry: input.retry ?? DEFAULT_RETRY,
    maxConflicts: input.maxConflicts ?? 5,
    dirty: false,
    fresh: false,
    attempt: 0,
    conflicts: 0,
    retryAfterMs: undefined,
    lastError: null,
  };
}

/** The error carried by an `xstate.error.actor.*` event (the chart's own events carry none). */
export function errorOf(event: unknown): unknown {
  return (event as { error?: unknown }).error;
}

/** The default implementation of an effect actor: the runtime, a test or the simulator must provide the real one. */
export function notProvided(machine: string, name: string) {
  return async (): Promise<never> => {
    throw new Error(`${machine} machine: actor "${name}" was not provided`);
  };
}

export const retryGuards = {
  dirty: ({ context }: RetryArgs) => context.dirty,
  isConflict: ({ context, event }: RetryArgs) =>
    classifyApiFailure(errorOf(event)) === 'conflict' && context.conflicts < context.maxConflicts,
  isNotFound: ({ event }: RetryArgs) => classifyApiFailure(errorOf(event)) === 'notFound',
  isRejected: ({ event }: RetryArgs) => classifyApiFailure(errorOf(event)) === 'rejected',
};

/** Context updates, for each machine's `assign`. */
export const retryUpdates = {
  markClean: () => ({ dirty: false }),
  markDirty: () => ({ dirty: true }),
  succeeded: () => ({ attempt: 0, conflicts: 0, retryAfterMs: undefined, lastError: null }),
  conflicted: ({ context }: RetryArgs) => ({ fresh: true, conflicts: context.conflicts + 1 }),
  failedAttempt: ({ context, event }: RetryArgs) => {
    const error = errorOf(event);
    return {
      attempt: context.attempt + 1,
      retryAfterMs: retryAfterOf(error),
      lastError: errorMessage(error),
      fresh: classifyApiFailure(error) === 'conflict' || context.fresh,
    };
  },
};

export const retryDelays = {
  retryDelay: ({ context }: { context: RetryBookkeeping }) =>
    retryDelayMs(context.attempt, context.retryAfterMs, context.retry),
};

/**
 * Where a failed write to the object goes: a 409 or a 404 looks again from fresh state (the `#machine.observing`
 * state), anything else backs off (`#machine.backoff`).
 */
export function writeFailureTransitions(machineId: string) {
  return [
    { guard: 'isConflict', target: `#${machineId}.observing`, actions: 'conflicted' },
    { guard: 'isNotFound', target: `#${machineId}.observing`, actions: 'conflicted' },
    { target: `#${machineId}.backoff`, actions: 'failedAttempt' },
  ] as const;
}

/** The object as stored, from a write's done event: what the machine's `adoptWritten` action takes. */
const writtenObject = <O>({ event }: { event: { output: O } }) => event.output;

/**
 * The status write of a reconciler: on success the object as stored is adopted (later writes in the pass carry its
 * resourceVersion) and the retry bookkeeping is reset, then `next`; a failed write goes as writeFailureTransitions says.
 */
export function statusWrite<I>(machineId: string, input: I, next: string) {
  return {
    id: 'writeStatus',
    src: 'writeStatus',
    input,
    onDone: { target: next, actions: [{ type: 'adoptWritten', params: writtenObject }, 'succeeded'] },
    onError: writeFailureTransitions(machineId),
  } as const;
}

/** A resting state's wait: look again at once if a wake-up came while busy, else on the next one. */
export function awaitingWakeUp(observing: string) {
  return {
    always: { guard: 'dirty', target: observing },
    on: { LOOK_AGAIN: observing },
  } as const;
}
