// The backend session chart: one MCP client session per backend, kept alive exactly as the RFC's "vMCP: Reconnection
// Handling" and "Server-Initiated Notifications" sections say, plus what no peer does (one shared re-initialization,
// lists re-fetched after it, the owner told only of real changes).
//
//   connecting -> session.initializing -> session.discovering -> session.ready (parallel: stream | lists)   2025 era
//   connecting -> session.serverDiscover -> session.discovering -> session.ready (stream: subscriptions/listen)  2026
//   The era comes from the first connect (a `server/discover` probe) and is cached; a request or step refused for its
//   revision (UnsupportedProtocolVersion) forgets it and the next connect probes again.
//   any failed attempt -> backoff (1 s doubling to 30 s, jittered; an SSE `retry` overrides one wait) -> connecting
//   5 consecutive failed attempts -> unavailable (circuit open) -> half-open probe every 60 s
//   session lost (404, or a 400 saying the id is unknown) on a request carrying Mcp-Session-Id -> reinitializing
//   (nothing of the old session survives) -> session (2025 era only: a 2026-07-28 backend has no session to lose)
//   permanent (unsupported protocol version, bad local config) -> failed (final); whatever the remote answers, a 404
//   or a redirect on initialize included, takes the backoff path above
//
// Pure: every effect is a named actor the runtime provides with `.provide({ actors })` (src/actors/mcp/session-actors.ts
// in production, fakes in tests and the simulator); time comes only from the actor clock through named delays;
// randomness from the Rng in the input. The live connection sits in context and is handed out only while `ready`
// (see backend-session-requests.ts); `session` owns it through the `holdConnection` actor, whose cleanup closes it, so
// leaving `session` for any reason can never leak a connection.
import { assign, type EventObject, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import { isEraMismatchError, isPermanentFailure, toSessionFailure } from './backend-session-failures.ts';
import {
  advertisedKinds,
  changedKinds,
  emptyBackendLists,
  kindsForChange,
  listChangedAdvertised,
} from './backend-session-lists.ts';
import {
  backoffDelayMs,
  resolvePolicy,
  retryOverrideMs,
  type SessionPolicy,
  type SessionRng,
} from './backend-session-policy.ts';
import type {
  BackendConnection,
  BackendLists,
  BackendProtocol,
  EraDecision,
  ListChangeKind,
  ListKind,
  SessionFailure,
  SessionInfo,
} from './backend-session-protocol.ts';

export interface BackendSessionInput {
  /** The backend's name, for effects and logs. */
  backendId: string;
  rng: SessionRng;
  policy?: Partial<SessionPolicy>;
  /**
   * How to reach the backend, handed to the `connect` effect. Data in the input (not a closure in the provided
   * actors) so one provided machine serves every backend: providing per backend would copy the whole chart each time.
   */
  protocol?: BackendProtocol;
}

/** Why the current attempt to establish a session runs. */
export type EstablishCause = 'start' | 'retry' | 'sessionLost' | 'probe' | 'eraChanged';
export type EstablishStep = 'connect' | 'initialize' | 'serverDiscover' | 'discover';
export type CircuitState = 'closed' | 'open' | 'halfOpen';

export interface StreamContext {
  /** The last SSE event id seen on this session's GET stream: the `Last-Event-ID` of the next attempt. */
  lastEventId: string | undefined;
  /** Reconnections since the stream last delivered a message; sizes the wait so an idle-closing server is not hammered. */
  step: number;
  waitMs: number;
  /** Whether the server ever accepted a GET stream in this session. */
  granted: boolean;
  unsupportedReason: string | undefined;
  lastProblem: SessionFailure | undefined;
  reconnects: number;
}

export interface BackendSessionContext {
  backendId: string;
  protocol: BackendProtocol | undefined;
  policy: SessionPolicy;
  rng: SessionRng;
  /** The live connection: set from `connect` until the session is left; callers get it only while `ready`. */
  connection: BackendConnection | undefined;
  session: SessionInfo | undefined;
  /** The era this backend speaks, cached across sessions until a refusal for the revision says it changed. */
  era: EraDecision | undefined;
  /** Whether the current era was found by the current attempt's probe (a fresh decision is not probed again). */
  eraFresh: boolean;
  /** This session's lists. Emptied whenever the session is dropped: never reused across sessions. */
  lists: BackendLists;
  /** What the owner was last told, kept only to decide whether a fetch is a change worth telling. */
  published: BackendLists;
  cause: EstablishCause;
  step: EstablishStep | undefined;
  /** Failed attempts in a row (establishing, or opening the GET stream); the breaker opens at the threshold. */
  consecutiveFailures: number;
  /** Sessions lost before they were stable, in a row (see `sessionLost`). */
  consecutiveLosses: number;
  /** Backoff waits in a row; sizes the next wait. */
  backoffStep: number;
  waitMs: number;
  /** A server's SSE `retry`, consumed by the next wait. */
  retryOverrideMs: number | undefined;
  circuit: CircuitState;
  lastFailure: SessionFailure | undefined;
  attempts: number;
  reinitializations: number;
  circuitOpenings: number;
  stream: StreamContext;
  /** Lists a list_changed marked stale and not yet re-fetched. */
  dirty: ListKind[];
  refreshing: ListKind[];
}

export type BackendSessionEvent =
  /** A caller's request got 404 with this session id; the machine re-initializes once, whoever reports first. */
  | { type: 'session.lost'; sessionId: string | undefined }
  /** A caller's request was refused for the revision it carried; the machine classifies the backend again. */
  | { type: 'era.mismatch'; protocolVersion: string | undefined }
  /** Shut down: DELETE the session where there is one, then stop. */
  | { type: 'close' }
  | { type: 'notification.listChanged'; kind: ListChangeKind }
  | { type: 'stream.opened' }
  | { type: 'stream.eventId'; id: string }
  | { type: 'stream.retry'; ms: number }
  | { type: 'stream.message' }
  | { type: 'stream.ended'; detail?: string }
  | { type: 'stream.unsupported'; reason: string }
  | { type: 'stream.failed'; failure: SessionFailure };

/** What the owner hears (`actor.on(type, handler)`). */
export type BackendSessionEmitted =
  | { type: 'lists.changed'; changed: ListKind[]; lists: BackendLists }
  | { type: 'lists.refreshFailed'; kinds: ListKind[]; failure: SessionFailure }
  | { type: 'notification.ignored'; kind: ListChangeKind; reason: string }
  | { type: 'session.established'; session: SessionInfo; cause: EstablishCause }
  | { type: 'circuit.opened'; failure: SessionFailure | undefined };

export interface ConnectInput {
  backendId: string;
  cause: EstablishCause;
  protocol: BackendProtocol | undefined;
  /** The cached era; undefined: the connect effect probes. */
  era: EraDecision | undefined;
}
export interface ConnectionInput {
  connection: BackendConnection;
  backendId: string;
}
export interface FetchListsInput {
  connection: BackendConnection;
  kinds: ListKind[];
}
export interface NotificationStreamInput {
  connection: BackendConnection;
  lastEventId: string | undefined;
}

function notProvided(name: string): never {
  throw new Error(
    `backend-session: the "${name}" actor was not provided; use backendSessionMachine.provide({ actors })`,
  );
}

const freshStream = (): StreamContext => ({
  lastEventId: undefined,
  step: 0,
  waitMs: 0,
  granted: false,
  unsupportedReason: undefined,
  lastProblem: undefined,
  reconnects: 0,
});

/** Everything that belongs to one session, reset whenever that session is left. */
const forgottenSession = {
  connection: undefined,
  session: undefined,
  lists: emptyBackendLists(),
  dirty: [] as ListKind[],
  refreshing: [] as ListKind[],
  stream: freshStream(),
  retryOverrideMs: undefined,
};

type ErrorLike = { type: string; error?: unknown };

const connectInput = (context: BackendSessionContext): ConnectInput => ({
  backendId: context.backendId,
  cause: context.cause,
  protocol: context.protocol,
  era: context.era,
});

/** The failure an onError or step-timeout event stands for. */
function failureOf(event: ErrorLike, context: BackendSessionContext): SessionFailure {
  if ('error' in event) return toSessionFailure(event.error);
  return {
    kind: 'timeout',
    retryable: true,
    message: `${context.step ?? 'step'} timed out after ${context.policy.stepTimeoutMs} ms`,
  };
}

const UNAVAILABLE = '#backendSession.unavailable';
const BACKOFF = '#backendSession.backoff';
const REINITIALIZING = '#backendSession.reinitializing';

/** A refusal for the revision of a cached (not freshly probed) era: probe again once before calling it final. */
const eraStale = {
  guard: 'eraStale',
  target: REINITIALIZING,
  // From `reinitializing` itself too: re-entered, so the connect runs again.
  reenter: true,
  actions: 'forgetEraAfterFailure',
} as const;
const permanent = { guard: 'isPermanent', target: '#backendSession.failed', actions: 'recordFatal' } as const;
/** A failed establishing step outside a half-open probe: permanent, the breaker threshold, or one more backoff. */
const stepFailed = [
  eraStale,
  permanent,
  { guard: 'breakerWouldOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  { target: BACKOFF, actions: ['recordFailure', 'planBackoff'] },
] as const;
const stepTimedOut = [
  { guard: 'breakerWouldOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  { target: BACKOFF, actions: ['recordFailure', 'planBackoff'] },
] as const;
/** Inside `session` the attempt may be a half-open probe: its failure re-opens the circuit, no backoff. */
const sessionStepFailed = [
  eraStale,
  permanent,
  { guard: 'isHalfOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  ...stepFailed.slice(2),
] as const;
const sessionStepTimedOut = [
  { guard: 'isHalfOpen', target: UNAVAILABLE, actions: ['recordFailure', 'openCircuit'] },
  ...stepTimedOut,
] as const;

type LostVia = 'isCurrentSession' | 'streamLostSession' | 'isSessionLostError' | 'isEraMismatch' | 'isEraMismatchError';

/**
 * The current session is gone (404 with its Mcp-Session-Id), or the backend refused the revision we speak to it (the
 * era is forgotten too, so the next connect probes). Normally: re-establish at once. But a session lost again before
 * it was stable counts as a failed attempt, so a server that drops every session cannot spin us in a hot loop.
 */
const sessionLost = (via: LostVia, drop: 'dropSession' | 'dropEra' = 'dropSession') =>
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
const streamFailed = [
  {
    // RFC: "If it cannot be established, the backend follows the circuit breaker path."
    guard: 'breakerWouldOpen',
    target: UNAVAILABLE,
    actions: ['recordStreamFailure', 'forgetSession', 'openCircuit'],
  },
  { target: 'waiting', actions: ['recordStreamFailure', 'planStreamWait'] },
] as const;

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

export const backendSessionMachine = setup({
  types: {} as {
    context: BackendSessionContext;
    events: BackendSessionEvent;
    input: BackendSessionInput;
    emitted: BackendSessionEmitted;
    tags: 'establishing' | 'live';
  },
  actors: {
    connect: fromPromise<BackendConnection, ConnectInput>(async () => notProvided('connect')),
    initialize: fromPromise<SessionInfo, ConnectionInput>(async () => notProvided('initialize')),
    /** 2026-07-28: `server/discover` describes the server (no handshake, nothing negotiated but the era). */
    serverDiscover: fromPromise<SessionInfo, ConnectionInput>(async () => notProvided('serverDiscover')),
    fetchLists: fromPromise<Partial<BackendLists>, FetchListsInput>(async () => notProvided('fetchLists')),
    /** Owns the connection for the life of `session`: forwards its events, closes it on cleanup. */
    holdConnection: fromCallback<EventObject, ConnectionInput>(() => notProvided('holdConnection')),
    /** One GET-stream attempt; reports through stream.* events. */
    notificationStream: fromCallback<EventObject, NotificationStreamInput>(() => notProvided('notificationStream')),
    /** 2026-07-28: one `subscriptions/listen` attempt; reports through the same stream.* events as the GET stream. */
    listenStream: fromCallback<EventObject, NotificationStreamInput>(() => notProvided('listenStream')),
    terminate: fromPromise<void, ConnectionInput>(async () => notProvided('terminate')),
  },
  guards: {
    isPermanent: ({ event }) => {
      const e = event as unknown as ErrorLike;
      return 'error' in e && isPermanentFailure(toSessionFailure(e.error));
    },
    isHalfOpen: ({ context }) => context.circuit === 'halfOpen',
    breakerWouldOpen: ({ context }) => breakerWouldOpen(context),
    isCurrentSession: (args) => lostVia.isCurrentSession(args),
    streamLostSession: (args) => lostVia.streamLostSession(args),
    isSessionLostError: (args) => lostVia.isSessionLostError(args),
    isEraMismatch: (args) => lostVia.isEraMismatch(args),
    isEraMismatchError: (args) => lostVia.isEraMismatchError(args),
    isModern: ({ context }) => context.era?.era === 'modern',
    eraStale: ({ context, event }) => {
      const e = event as unknown as ErrorLike;
      return context.era !== undefined && !context.eraFresh && 'error' in e && isEraMismatchError(e.error);
    },
    lostAgain: (args, params: { via: LostVia }) => lostVia[params.via](args) && lostBeforeStable(args.context),
    lostAgainBreakerOpens: (args, params: { via: LostVia }) =>
      lostVia[params.via](args) && lostBeforeStable(args.context) && breakerWouldOpen(args.context),
    hasLastEventId: ({ context }) => context.stream.lastEventId !== undefined,
    listChangedAdvertised: ({ context, event }) =>
      event.type === 'notification.listChanged' && listChangedAdvertised(context.session?.capabilities, event.kind),
    hasDirtyLists: ({ context }) => context.dirty.length > 0,
  },
  actions: {
    beginAttempt: assign({ step: 'connect', attempts: ({ context }) => context.attempts + 1 }),
    enterStep: assign((_, params: { step: EstablishStep }) => ({ step: params.step })),
    adoptConnection: assign(({ context, event }) => {
      const connection = (event as unknown as { output: BackendConnection }).output;
      const era = connection.era ?? context.era;
      return { connection, era, eraFresh: era !== undefined && context.era === undefined };
    }),
    recordSession: assign({ session: ({ event }) => (event as unknown as { output: SessionInfo }).output }),
    recordFailure: assign(({ context, event }) => ({
      ...forgottenSession,
      consecutiveFailures: context.consecutiveFailures + 1,
      lastFailure: failureOf(event as unknown as ErrorLike, context),
      step: undefined,
    })),
    recordFatal: assign(({ context, event }) => ({
      ...forgottenSession,
      lastFailure: failureOf(event as unknown as ErrorLike, context),
    })),
    planBackoff: assign(({ context }) => ({
      waitMs: context.retryOverrideMs ?? backoffDelayMs(context.backoffStep, context.policy, context.rng),
      backoffStep: context.backoffStep + 1,
      retryOverrideMs: undefined,
    })),
    openCircuit: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ circuit: 'open', step: undefined });
      // A failed half-open probe re-opens the circuit; only a closed circuit opening is news.
      if (context.circuit !== 'closed') return;
      enqueue.assign({ circuitOpenings: context.circuitOpenings + 1 });
      enqueue.emit({ type: 'circuit.opened', failure: context.lastFailure });
    }),
    enterHalfOpen: assign({ circuit: 'halfOpen', cause: 'probe' }),
    markRetry: assign({ cause: 'retry' }),
    dropSession: assign(({ context }) => ({
      ...forgottenSession,
      cause: 'sessionLost' as const,
      reinitializations: context.reinitializations + 1,
      consecutiveLosses: context.consecutiveLosses + 1,
    })),
    recordLossAsFailure: assign(({ context }) => ({
      consecutiveFailures: context.consecutiveFailures + 1,
      lastFailure: {
        kind: 'sessionLost' as const,
        retryable: true,
        message: `the backend dropped the session again within ${context.policy.stableAfterMs} ms of establishing it`,
      },
    })),
    dropEra: assign(({ context }) => ({
      ...forgottenSession,
      era: undefined,
      cause: 'eraChanged' as const,
      reinitializations: context.reinitializations + 1,
      consecutiveLosses: context.consecutiveLosses + 1,
    })),
    forgetEraAfterFailure: assign(({ context, event }) => ({
      ...forgottenSession,
      era: undefined,
      cause: 'eraChanged' as const,
      lastFailure: failureOf(event as unknown as ErrorLike, context),
    })),
    markStable: assign({ consecutiveLosses: 0 }),
    applyDiscovery: assign(({ event }) => ({
      lists: { ...emptyBackendLists(), ...(event as unknown as { output: Partial<BackendLists> }).output },
      stream: freshStream(),
      dirty: [] as ListKind[],
      refreshing: [] as ListKind[],
    })),
    sessionEstablished: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ consecutiveFailures: 0, backoffStep: 0, circuit: 'closed', step: undefined });
      if (context.session)
        enqueue.emit({ type: 'session.established', session: context.session, cause: context.cause });
    }),
    publishChanges: enqueueActions(({ context, enqueue }) => {
      const changed = changedKinds(context.published, context.lists);
      if (changed.length === 0) return;
      enqueue.assign({ published: context.lists });
      enqueue.emit({ type: 'lists.changed', changed, lists: context.lists });
    }),
    markDirty: assign({
      dirty: ({ context, event }) =>
        event.type === 'notification.listChanged'
          ? [...new Set([...context.dirty, ...kindsForChange(event.kind)])]
          : context.dirty,
    }),
    takeDirty: assign(({ context }) => ({ refreshing: context.dirty, dirty: [] as ListKind[] })),
    applyRefresh: assign(({ context, event }) => ({
      lists: { ...context.lists, ...(event as unknown as { output: Partial<BackendLists> }).output },
      refreshing: [] as ListKind[],
    })),
    emitIgnored: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'notification.listChanged') return;
      enqueue.emit({
        type: 'notification.ignored',
        kind: event.kind,
        reason: context.session
          ? `the backend did not advertise ${event.kind}.listChanged`
          : 'no session capabilities yet',
      });
    }),
    emitRefreshFailed: enqueueActions(({ context, event, enqueue }) => {
      enqueue.emit({
        type: 'lists.refreshFailed',
        kinds: context.refreshing,
        failure: failureOf(event as unknown as ErrorLike, context),
      });
      enqueue.assign({ refreshing: [] as ListKind[] });
    }),
    streamOpened: assign(({ context }) => ({
      consecutiveFailures: 0,
      stream: { ...context.stream, granted: true },
    })),
    recordEventId: assign(({ context, event }) => ({
      stream: event.type === 'stream.eventId' ? { ...context.stream, lastEventId: event.id } : context.stream,
    })),
    recordRetry: assign(({ context, event }) => ({
      retryOverrideMs:
        event.type === 'stream.retry' ? retryOverrideMs(event.ms, context.policy) : context.retryOverrideMs,
    })),
    streamMessage: assign(({ context }) => ({ stream: { ...context.stream, step: 0 } })),
    planStreamWait: assign(({ context }) => ({
      stream: {
        ...context.stream,
        waitMs: context.retryOverrideMs ?? backoffDelayMs(context.stream.step, context.policy, context.rng),
        step: context.stream.step + 1,
        reconnects: context.stream.reconnects + 1,
      },
      retryOverrideMs: undefined,
    })),
    recordStreamFailure: assign(({ context, event }) => {
      const failure = event.type === 'stream.failed' ? event.failure : context.lastFailure;
      return {
        consecutiveFailures: context.consecutiveFailures + 1,
        lastFailure: failure,
        stream: { ...context.stream, lastProblem: failure },
      };
    }),
    forgetSession: assign(() => ({ ...forgottenSession })),
    recordStreamUnsupported: assign(({ context, event }) => ({
      stream: {
        ...context.stream,
        unsupportedReason: event.type === 'stream.unsupported' ? event.reason : 'unsupported',
      },
    })),
  },
  delays: {
    backoff: ({ context }) => context.waitMs,
    streamWait: ({ context }) => context.stream.waitMs,
    probeInterval: ({ context }) => context.policy.probeIntervalMs,
    stepTimeout: ({ context }) => context.policy.stepTimeoutMs,
    terminateTimeout: ({ context }) => context.policy.terminateTimeoutMs,
    stableAfter: ({ context }) => context.policy.stableAfterMs,
  },
}).createMachine({
  id: 'backendSession',
  context: ({ input }) => ({
    backendId: input.backendId,
    protocol: input.protocol,
    policy: resolvePolicy(input.policy),
    rng: input.rng,
    connection: undefined,
    session: undefined,
    era: undefined,
    eraFresh: false,
    lists: emptyBackendLists(),
    published: emptyBackendLists(),
    cause: 'start',
    step: undefined,
    consecutiveFailures: 0,
    consecutiveLosses: 0,
    backoffStep: 0,
    waitMs: 0,
    retryOverrideMs: undefined,
    circuit: 'closed',
    lastFailure: undefined,
    attempts: 0,
    reinitializations: 0,
    circuitOpenings: 0,
    stream: freshStream(),
    dirty: [],
    refreshing: [],
  }),
  initial: 'connecting',
  on: { close: '.closed' },
  states: {
    connecting: {
      tags: ['establishing'],
      entry: 'beginAttempt',
      invoke: {
        id: 'connect',
        src: 'connect',
        input: ({ context }) => connectInput(context),
        onDone: { target: 'session', actions: 'adoptConnection' },
        onError: [...stepFailed],
      },
      after: { stepTimeout: [...stepTimedOut] },
    },
    reinitializing: {
      // Entered with every piece of the old session already dropped (dropSession): a fresh connection, a fresh
      // initialize and a fresh discovery follow; nothing of the old session is reused (RFC, reconnection step 3).
      tags: ['establishing'],
      entry: 'beginAttempt',
      invoke: {
        id: 'reconnect',
        src: 'connect',
        input: ({ context }) => connectInput(context),
        onDone: { target: 'session', actions: 'adoptConnection' },
        onError: [...stepFailed],
      },
      after: { stepTimeout: [...stepTimedOut] },
    },
    session: {
      invoke: {
        id: 'holdConnection',
        src: 'holdConnection',
        input: ({ context }) => ({ connection: context.connection as BackendConnection, backendId: context.backendId }),
      },
      initial: 'handshake',
      on: { close: '.closing' },
      states: {
        /** The era decides how a session begins. */
        handshake: {
          always: [{ guard: 'isModern', target: 'serverDiscover' }, { target: 'initializing' }],
        },
        /** 2025 era: initialize + notifications/initialized; the server may grant an Mcp-Session-Id. */
        initializing: {
          tags: ['establishing'],
          entry: { type: 'enterStep', params: { step: 'initialize' } },
          invoke: {
            id: 'initialize',
            src: 'initialize',
            input: ({ context }) => ({
              connection: context.connection as BackendConnection,
              backendId: context.backendId,
            }),
            onDone: { target: 'discovering', actions: 'recordSession' },
            onError: [...sessionStepFailed],
          },
          after: { stepTimeout: [...sessionStepTimedOut] },
        },
        /** 2026-07-28: no handshake and no session id; `server/discover` says what the server offers. */
        serverDiscover: {
          tags: ['establishing'],
          entry: { type: 'enterStep', params: { step: 'serverDiscover' } },
          invoke: {
            id: 'serverDiscover',
            src: 'serverDiscover',
            input: ({ context }) => ({
              connection: context.connection as BackendConnection,
              backendId: context.backendId,
            }),
            onDone: { target: 'discovering', actions: 'recordSession' },
            onError: [...sessionStepFailed],
          },
          after: { stepTimeout: [...sessionStepTimedOut] },
        },
        discovering: {
          tags: ['establishing'],
          entry: { type: 'enterStep', params: { step: 'discover' } },
          invoke: {
            id: 'discover',
            src: 'fetchLists',
            input: ({ context }) => ({
              connection: context.connection as BackendConnection,
              kinds: advertisedKinds(context.session?.capabilities),
            }),
            onDone: { target: 'ready', actions: ['applyDiscovery', 'publishChanges'] },
            onError: [...sessionStepFailed],
          },
          after: { stepTimeout: [...sessionStepTimedOut] },
          on: {
            // Lists fetched now may already be stale: re-fetch once ready.
            'notification.listChanged': [{ guard: 'listChangedAdvertised', actions: 'markDirty' }],
          },
        },
        ready: {
          tags: ['live'],
          type: 'parallel',
          entry: 'sessionEstablished',
          on: {
            'session.lost': [...sessionLost('isCurrentSession')],
            'era.mismatch': [...sessionLost('isEraMismatch', 'dropEra')],
          },
          after: { stableAfter: { actions: 'markStable' } },
          states: {
            stream: {
              initial: 'choosing',
              states: {
                /** 2025 era: the GET stream (resumable with Last-Event-ID). 2026-07-28: `subscriptions/listen`. */
                choosing: {
                  always: [{ guard: 'isModern', target: 'subscribed' }, { target: 'listening' }],
                },
                listening: {
                  invoke: {
                    id: 'notificationStream',
                    src: 'notificationStream',
                    input: ({ context }) => ({
                      connection: context.connection as BackendConnection,
                      lastEventId: context.stream.lastEventId,
                    }),
                  },
                  initial: 'opening',
                  states: {
                    /** A fresh GET (no event id seen yet in this session). */
                    opening: {},
                    /** A GET with Last-Event-ID: the server may replay what the dropped stream missed. */
                    resuming: {},
                    open: {},
                  },
                  on: {
                    'stream.opened': { target: '.open', actions: 'streamOpened' },
                    'stream.eventId': { actions: 'recordEventId' },
                    'stream.retry': { actions: 'recordRetry' },
                    'stream.message': { actions: 'streamMessage' },
                    'stream.ended': { target: 'waiting', actions: 'planStreamWait' },
                    'stream.unsupported': { target: 'unsupported', actions: 'recordStreamUnsupported' },
                    'stream.failed': [...sessionLost('streamLostSession'), ...streamFailed],
                  },
                },
                /**
                 * A persistent POST-response stream opted in to the advertised list changes; the same waits, jitter
                 * and circuit as the GET stream, never resumed (2026-07-28 has no Last-Event-ID).
                 */
                subscribed: {
                  invoke: {
                    id: 'listenStream',
                    src: 'listenStream',
                    input: ({ context }) => ({
                      connection: context.connection as BackendConnection,
                      lastEventId: undefined,
                    }),
                  },
                  initial: 'opening',
                  states: {
                    opening: {},
                    /** The server acknowledged the subscription. */
                    open: {},
                  },
                  on: {
                    'stream.opened': { target: '.open', actions: 'streamOpened' },
                    'stream.retry': { actions: 'recordRetry' },
                    'stream.message': { actions: 'streamMessage' },
                    'stream.ended': { target: 'waiting', actions: 'planStreamWait' },
                    'stream.unsupported': { target: 'unsupported', actions: 'recordStreamUnsupported' },
                    'stream.failed': [...streamFailed],
                  },
                },
                waiting: {
                  after: {
                    streamWait: [
                      { guard: 'isModern', target: 'subscribed' },
                      { guard: 'hasLastEventId', target: 'listening.resuming' },
                      { target: 'listening.opening' },
                    ],
                  },
                },
                /** 405 on GET: the server offers no stream. Not an error, nothing to reconnect. */
                unsupported: {},
              },
            },
            lists: {
              initial: 'checking',
              states: {
                checking: {
                  always: [{ guard: 'hasDirtyLists', target: 'refreshing' }, { target: 'idle' }],
                },
                idle: {
                  on: {
                    'notification.listChanged': [
                      { guard: 'listChangedAdvertised', target: 'refreshing', actions: 'markDirty' },
                      { actions: 'emitIgnored' },
                    ],
                  },
                },
                refreshing: {
                  entry: 'takeDirty',
                  invoke: {
                    id: 'refreshLists',
                    src: 'fetchLists',
                    input: ({ context }) => ({
                      connection: context.connection as BackendConnection,
                      kinds: context.refreshing,
                    }),
                    onDone: { target: 'checking', actions: ['applyRefresh', 'publishChanges'] },
                    onError: [
                      ...sessionLost('isSessionLostError'),
                      ...sessionLost('isEraMismatchError', 'dropEra'),
                      { target: 'checking', actions: 'emitRefreshFailed' },
                    ],
                  },
                  on: {
                    // A change during a fetch: the fetch may predate it, so fetch once more afterwards.
                    'notification.listChanged': [
                      { guard: 'listChangedAdvertised', actions: 'markDirty' },
                      { actions: 'emitIgnored' },
                    ],
                  },
                },
              },
            },
          },
        },
        closing: {
          invoke: {
            id: 'terminate',
            src: 'terminate',
            input: ({ context }) => ({
              connection: context.connection as BackendConnection,
              backendId: context.backendId,
            }),
            onDone: '#backendSession.closed',
            onError: '#backendSession.closed',
          },
          after: { terminateTimeout: '#backendSession.closed' },
        },
      },
    },
    backoff: {
      after: { backoff: { target: 'connecting', actions: 'markRetry' } },
    },
    unavailable: {
      // Circuit open. Every probeInterval one half-open attempt; success closes the circuit (on reaching `ready`),
      // failure waits another interval.
      initial: 'waiting',
      states: {
        waiting: {
          after: { probeInterval: 'probing' },
        },
        probing: {
          entry: ['beginAttempt', 'enterHalfOpen'],
          invoke: {
            id: 'probe',
            src: 'connect',
            input: ({ context }) => connectInput(context),
            onDone: { target: '#backendSession.session', actions: 'adoptConnection' },
            onError: [eraStale, permanent, { target: 'waiting', actions: ['recordFailure', 'openCircuit'] }],
          },
          after: { stepTimeout: { target: 'waiting', actions: ['recordFailure', 'openCircuit'] } },
        },
      },
    },
    failed: { type: 'final' },
    closed: { type: 'final' },
  },
});
