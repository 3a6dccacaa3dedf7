// The backend session chart's context updates: pure functions of the context and the event, each wrapped in the
// chart's own `assign` under the same name (backend-session.ts), so the chart stays a table of names.
import {
  type BackendSessionContext,
  type BackendSessionEvent,
  type ErrorLike,
  failureOf,
  forgottenSession,
  freshStream,
} from './backend-session-context.ts';
import { announcedKinds, emptyBackendLists, kindsForChange } from './backend-session-lists.ts';
import { backoffDelayMs, retryOverrideMs } from './backend-session-policy.ts';
import type { BackendConnection, BackendLists, ListKind, SessionInfo } from './backend-session-protocol.ts';

type UpdateArgs = { context: BackendSessionContext; event: BackendSessionEvent };

export const sessionUpdates = {
  adoptConnection: ({ context, event }) => {
    const connection = (event as unknown as { output: BackendConnection }).output;
    const era = connection.era ?? context.era;
    return { connection, era, eraFresh: era !== undefined && context.era === undefined };
  },
  recordSession: ({ event }) => ({
    session: (event as unknown as { output: SessionInfo }).output,
    eraReprobed: false,
  }),
  recordFailure: ({ context, event }) => ({
    ...forgottenSession,
    consecutiveFailures: context.consecutiveFailures + 1,
    lastFailure: failureOf(event as unknown as ErrorLike, context),
    step: undefined,
  }),
  recordFatal: ({ context, event }) => ({
    ...forgottenSession,
    lastFailure: failureOf(event as unknown as ErrorLike, context),
  }),
  planBackoff: ({ context }) => ({
    waitMs: context.retryOverrideMs ?? backoffDelayMs(context.backoffStep, context.policy, context.rng),
    backoffStep: context.backoffStep + 1,
    retryOverrideMs: undefined,
  }),
  dropSession: ({ context }) => ({
    ...forgottenSession,
    cause: 'sessionLost' as const,
    reinitializations: context.reinitializations + 1,
    consecutiveLosses: context.consecutiveLosses + 1,
  }),
  recordLossAsFailure: ({ context }) => ({
    consecutiveFailures: context.consecutiveFailures + 1,
    lastFailure: {
      kind: 'sessionLost' as const,
      retryable: true,
      message: `the backend dropped the session again within ${context.policy.stableAfterMs} ms of establishing it`,
    },
  }),
  dropEra: ({ context }) => ({
    ...forgottenSession,
    era: undefined,
    cause: 'eraChanged' as const,
    reinitializations: context.reinitializations + 1,
    consecutiveLosses: context.consecutiveLosses + 1,
  }),
  forgetEraAfterFailure: ({ context, event }) => ({
    ...forgottenSession,
    era: undefined,
    cause: 'eraChanged' as const,
    lastFailure: failureOf(event as unknown as ErrorLike, context),
  }),
  applyDiscovery: ({ event }) => ({
    lists: { ...emptyBackendLists(), ...(event as unknown as { output: Partial<BackendLists> }).output },
    stream: freshStream(),
    dirty: [] as ListKind[],
    refreshing: [] as ListKind[],
  }),
  markDirty: ({ context, event }) => ({
    dirty:
      event.type === 'notification.listChanged'
        ? [...new Set([...context.dirty, ...kindsForChange(event.kind)])]
        : context.dirty,
  }),
  markMissed: ({ context }) => ({
    dirty: [...new Set([...context.dirty, ...announcedKinds(context.session?.capabilities)])],
  }),
  takeDirty: ({ context }) => ({ refreshing: context.dirty, dirty: [] as ListKind[] }),
  applyRefresh: ({ context, event }) => ({
    lists: { ...context.lists, ...(event as unknown as { output: Partial<BackendLists> }).output },
    refreshing: [] as ListKind[],
    refreshStep: 0,
  }),
  /** A failed re-fetch loses no change: its kinds go back to dirty and are fetched again after a backoff. */
  planRefreshRetry: ({ context }) => ({
    dirty: [...new Set([...context.dirty, ...context.refreshing])],
    refreshWaitMs: backoffDelayMs(context.refreshStep, context.policy, context.rng),
    refreshStep: context.refreshStep + 1,
  }),
  streamOpened: ({ context }) => ({
    consecutiveFailures: 0,
    stream: { ...context.stream, granted: true },
  }),
  recordEventId: ({ context, event }) => ({
    stream: event.type === 'stream.eventId' ? { ...context.stream, lastEventId: event.id } : context.stream,
  }),
  recordRetry: ({ context, event }) => ({
    retryOverrideMs:
      event.type === 'stream.retry' ? retryOverrideMs(event.ms, context.policy) : context.retryOverrideMs,
  }),
  streamMessage: ({ context }) => ({ stream: { ...context.stream, step: 0 } }),
  planStreamWait: ({ context }) => ({
    stream: {
      ...context.stream,
      waitMs: context.retryOverrideMs ?? backoffDelayMs(context.stream.step, context.policy, context.rng),
      step: context.stream.step + 1,
      reconnects: context.stream.reconnects + 1,
    },
    retryOverrideMs: undefined,
  }),
  recordStreamFailure: ({ context, event }) => {
    const failure = event.type === 'stream.failed' ? event.failure : context.lastFailure;
    return {
      consecutiveFailures: context.consecutiveFailures + 1,
      lastFailure: failure,
      stream: { ...context.stream, lastProblem: failure },
    };
  },
  recordStreamUnsupported: ({ context, event }) => ({
    stream: {
      ...context.stream,
      unsupportedReason: event.type === 'stream.unsupported' ? event.reason : 'unsupported',
    },
  }),
} satisfies Record<string, (args: UpdateArgs) => Partial<BackendSessionContext>>;
