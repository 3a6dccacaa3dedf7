// The backend session chart's shared transition lists (where a failed step, a lost session or a failed stream goes)
// and the guards that tell the ways a session is lost. Plain data, spread into the chart in backend-session.ts.
import type { BackendSessionContext, BackendSessionEvent, ErrorLike } from './backend-session-context.ts';
import { eraOfVersion } from './backend-session-era.ts';
import { isEraMismatchError, isPermanentFailure, toSessionFailure } from './backend-session-failures.ts';
import { announcedKinds } from './backend-session-lists.ts';

const UNAVAILABLE = '#backendSession.unavailable';
const BACKOFF = '#backendSession.backoff';
const REINITIALIZING = '#backendSession.reinitializing';

/** A refusal for the revision of a cached (not freshly probed) era: probe again once before calling it final. */
export const eraStale = {
  guard: 'eraStale',
  target: REINITIALIZING,
  // From `reinitializing` itself too: re-entered, so the connect runs again.
  reenter: true,
  actions: 'forgetEraAfterFailure',
} as const;
/**
 * A refusal right after a fresh probe that does not say the server speaks nothing of ours: the backend may have changed
 * era between the probe and this step (a redeploy). Probe again at once, one time; the same refusal after that second
 * probe is final (`permanent`).
 */
export const eraRaced = {
  guard: 'eraRaced',
  target: REINITIALIZING,
  reenter: true,
  actions: ['forgetEraAfterFailure', 'markEraReprobed'],
} as const;
export const permanent = { guard: 'isPermanent', target: '#backendSession.failed', actions: 'recordFatal' } as const;
/** A failed establishing step outside a half-open probe: permanent, the breaker threshold, or one more backoff. */
export const stepFailed = [
  eraStale,
  eraRaced,
  permanent,
  { guard: 'breakerWouldOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  { target: BACKOFF, actions: ['recordFailure', 'planBackoff'] },
] as const;
export const stepTimedOut = [
  { guard: 'breakerWouldOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  { target: BACKOFF, actions: ['recordFailure', 'planBackoff'] },
] as const;
/** Inside `session` the attempt may be a half-open probe: its failure re-opens the circuit, no backoff. */
export const sessionStepFailed = [
  eraStale,
  eraRaced,
  permanent,
  { guard: 'isHalfOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  ...stepFailed.slice(3),
] as const;
export const sessionStepTimedOut = [
  { guard: 'isHalfOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  ...stepTimedOut,
] as const;

export type LostVia =
  | 'isCurrentSession'
  | 'streamLostSession'
  | 'isSessionLostError'
  | 'isEraMismatch'
  | 'isEraMismatchError';

/**
 * The current session is gone (404 with its Mcp-Session-Id), or the backend refused the revision we speak to it (the
 * era is forgotten too, so the next connect probes). Normally: re-establish at once. But a session lost again before
 * it was stable counts as a failed attempt, so a server that drops every session cannot spin us in a hot loop.
 */
export const sessionLost = (via: LostVia, drop: 'dropSession' | 'dropEra' = 'dropSession') =>
  [
    {
      guard: { type: 'lostAgainBreakerOpens', params: { via } },
      target: UNAVAILABLE,
      actions: [drop, 'recordLossAsFailure', 'openCircuit'],
    },
    {
      guard: { type: 'lostAgain', params: { via } },
      target: BACKOFF,
      actions: [drop, 'recordLossAsFailure', 'planBackoff'],
    },
    { guard: via, target: REINITIALIZING, actions: drop },
  ] as const;

/** The notification stream could not be opened: wait and try again, or open the circuit at the threshold. */
export const streamFailed = [
  {
    // RFC: "If it cannot be established, the backend follows the circuit breaker path."
    guard: 'breakerWouldOpen',
    target: UNAVAILABLE,
    actions: ['recordStreamFailure', 'forgetSession', 'openCircuit'],
  },
  { target: 'waiting', actions: ['recordStreamFailure', 'planStreamWait'] },
] as const;

/** What either notification stream (GET stream, subscriptions/listen) reports, handled alike for both. */
export const streamReports = {
  'stream.retry': { actions: 'recordRetry' },
  'stream.message': { actions: 'streamMessage' },
  'stream.ended': { target: 'waiting', actions: 'planStreamWait' },
  'stream.unsupported': { target: 'unsupported', actions: 'recordStreamUnsupported' },
} as const;

type GuardArgs = { context: BackendSessionContext; event: BackendSessionEvent };

/**
 * The ways a session loss is observed: a caller's report, the GET stream's 404, a list fetch's 404; and an era
 * change: a caller's report of a refused revision, a list fetch refused for it.
 */
const lostVia: Record<LostVia, (args: GuardArgs) => boolean> = {
  isCurrentSession: ({ context, event }) =>
    event.type === 'session.lost' &&
    context.session?.sessionId !== undefined &&
    event.sessionId === context.session.sessionId,
  streamLostSession: ({ event }) => event.type === 'stream.failed' && event.failure.kind === 'sessionLost',
  isSessionLostError: ({ event }) => {
    const e = event as unknown as ErrorLike;
    return 'error' in e && toSessionFailure(e.error).kind === 'sessionLost';
  },
  isEraMismatch: ({ context, event }) =>
    event.type === 'era.mismatch' &&
    context.session !== undefined &&
    event.protocolVersion === context.session.protocolVersion,
  isEraMismatchError: ({ event }) => {
    const e = event as unknown as ErrorLike;
    return 'error' in e && isEraMismatchError(e.error);
  },
};
// Guards run before the transition's actions, so the count holds earlier losses only, not the one being handled.
const lostBeforeStable = (context: BackendSessionContext) => context.consecutiveLosses > 0;
const breakerWouldOpen = (context: BackendSessionContext) =>
  context.consecutiveFailures + 1 >= context.policy.breakerThreshold;

/**
 * A fresh era refused with no list of versions, or with one naming a revision of the other era: the server speaks
 * something of ours, only not what the probe a moment ago said. A list of versions all of the era we spoke, none of
 * them ours, is the one final answer (`permanent`).
 */
function eraRaced_({ context, event }: GuardArgs): boolean {
  const e = event as unknown as ErrorLike;
  if (context.era === undefined || !context.eraFresh || !('error' in e) || !isEraMismatchError(e.error)) return false;
  const offered = toSessionFailure(e.error).supportedVersions;
  return offered === undefined || offered.some((v) => eraOfVersion(v) !== context.era?.era);
}

/** The guards the lists above name. */
export const transitionGuards = {
  ...lostVia,
  isPermanent: ({ event }: GuardArgs) => {
    const e = event as unknown as ErrorLike;
    return 'error' in e && isPermanentFailure(toSessionFailure(e.error));
  },
  eraStale: ({ context, event }: GuardArgs) => {
    const e = event as unknown as ErrorLike;
    return context.era !== undefined && !context.eraFresh && 'error' in e && isEraMismatchError(e.error);
  },
  eraRaced: (args: GuardArgs) => !args.context.eraReprobed && eraRaced_(args),
  /**
   * A notification stream opened without replaying what its gap missed: a fresh GET stream, or any
   * `subscriptions/listen` (2026-07-28 streams are never resumed). A change since the last fetch may be lost.
   */
  streamOpenedWithGap: ({ context }: GuardArgs) =>
    (context.era?.era === 'modern' || context.stream.lastEventId === undefined) &&
    announcedKinds(context.session?.capabilities).length > 0,
  isHalfOpen: ({ context }: GuardArgs) => context.circuit === 'halfOpen',
  breakerWouldOpen: ({ context }: GuardArgs) => breakerWouldOpen(context),
  lostAgain: (args: GuardArgs, params: { via: LostVia }) => lostVia[params.via](args) && lostBeforeStable(args.context),
  lostAgainBreakerOpens: (args: GuardArgs, params: { via: LostVia }) =>
    lostVia[params.via](args) && lostBeforeStable(args.context) && breakerWouldOpen(args.context),
};
