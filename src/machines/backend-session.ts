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
import {
  type BackendSessionContext,
  type BackendSessionEmitted,
  type BackendSessionEvent,
  type BackendSessionInput,
  type ConnectInput,
  type ConnectionInput,
  connectInput,
  connectionInput,
  type ErrorLike,
  type EstablishStep,
  type FetchListsInput,
  failureOf,
  forgottenSession,
  initialContext,
  type NotificationStreamInput,
  notProvided,
  streamInput,
} from './backend-session-context.ts';
import { advertisedKinds, changedKinds, listChangedAdvertised } from './backend-session-lists.ts';
import type { BackendConnection, BackendLists, ListKind, SessionInfo } from './backend-session-protocol.ts';
import {
  eraRaced,
  eraStale,
  permanent,
  sessionLost,
  sessionStepFailed,
  sessionStepTimedOut,
  stepFailed,
  stepTimedOut,
  streamFailed,
  streamReports,
  transitionGuards,
} from './backend-session-transitions.ts';
import { sessionUpdates } from './backend-session-updates.ts';

const sessionSetup = setup({
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
    ...transitionGuards,
    isModern: ({ context }) => context.era?.era === 'modern',
    hasLastEventId: ({ context }) => context.stream.lastEventId !== undefined,
    listChangedAdvertised: ({ context, event }) =>
      event.type === 'notification.listChanged' && listChangedAdvertised(context.session?.capabilities, event.kind),
    hasDirtyLists: ({ context }) => context.dirty.length > 0,
  },
  actions: {
    beginAttempt: assign({ step: 'connect', attempts: ({ context }) => context.attempts + 1 }),
    enterStep: assign((_, params: { step: EstablishStep }) => ({ step: params.step })),
    adoptConnection: assign(sessionUpdates.adoptConnection),
    recordSession: assign(sessionUpdates.recordSession),
    recordFailure: assign(sessionUpdates.recordFailure),
    recordFatal: assign(sessionUpdates.recordFatal),
    planBackoff: assign(sessionUpdates.planBackoff),
    openCircuit: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ circuit: 'open', step: undefined });
      // A failed half-open probe re-opens the circuit; only a closed circuit opening is news.
      if (context.circuit !== 'closed') return;
      enqueue.assign({ circuitOpenings: context.circuitOpenings + 1 });
      enqueue.emit({ type: 'circuit.opened', failure: context.lastFailure });
    }),
    enterHalfOpen: assign({ circuit: 'halfOpen', cause: 'probe' }),
    markRetry: assign({ cause: 'retry' }),
    dropSession: assign(sessionUpdates.dropSession),
    recordLossAsFailure: assign(sessionUpdates.recordLossAsFailure),
    dropEra: assign(sessionUpdates.dropEra),
    forgetEraAfterFailure: assign(sessionUpdates.forgetEraAfterFailure),
    markStable: assign({ consecutiveLosses: 0 }),
    applyDiscovery: assign(sessionUpdates.applyDiscovery),
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
    markDirty: assign(sessionUpdates.markDirty),
    markMissed: assign(sessionUpdates.markMissed),
    takeDirty: assign(sessionUpdates.takeDirty),
    planRefreshRetry: assign(sessionUpdates.planRefreshRetry),
    markEraReprobed: assign({ eraReprobed: true }),
    applyRefresh: assign(sessionUpdates.applyRefresh),
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
    // After planRefreshRetry, which put the failed kinds back into `dirty`: the report names them, then they are let go.
    emitRefreshFailed: enqueueActions(({ context, event, enqueue }) => {
      enqueue.emit({
        type: 'lists.refreshFailed',
        kinds: context.refreshing,
        failure: failureOf(event as unknown as ErrorLike, context),
      });
      enqueue.assign({ refreshing: [] as ListKind[] });
    }),
    streamOpened: assign(sessionUpdates.streamOpened),
    recordEventId: assign(sessionUpdates.recordEventId),
    recordRetry: assign(sessionUpdates.recordRetry),
    streamMessage: assign(sessionUpdates.streamMessage),
    planStreamWait: assign(sessionUpdates.planStreamWait),
    recordStreamFailure: assign(sessionUpdates.recordStreamFailure),
    forgetSession: assign(() => ({ ...forgottenSession })),
    recordStreamUnsupported: assign(sessionUpdates.recordStreamUnsupported),
  },
  delays: {
    backoff: ({ context }) => context.waitMs,
    streamWait: ({ context }) => context.stream.waitMs,
    probeInterval: ({ context }) => context.policy.probeIntervalMs,
    stepTimeout: ({ context }) => context.policy.stepTimeoutMs,
    terminateTimeout: ({ context }) => context.policy.terminateTimeoutMs,
    stableAfter: ({ context }) => context.policy.stableAfterMs,
    refreshRetry: ({ context }) => context.refreshWaitMs,
  },
});

/** A connect attempt from outside `session`: a failure takes the breaker or backoff path. */
function connectState(id: 'connect' | 'reconnect') {
  return sessionSetup.createStateConfig({
    tags: ['establishing'],
    entry: 'beginAttempt',
    invoke: {
      id,
      src: 'connect',
      input: ({ context }) => connectInput(context),
      onDone: { target: 'session', actions: 'adoptConnection' },
      onError: [...stepFailed],
    },
    after: { stepTimeout: [...stepTimedOut] },
  });
}

/** An establishing step on the connection `session` holds; its own timeout, failures as a half-open probe's may be. */
function establishingState(step: EstablishStep, src: 'initialize' | 'serverDiscover') {
  return sessionSetup.createStateConfig({
    tags: ['establishing'],
    entry: { type: 'enterStep', params: { step } },
    invoke: {
      id: src,
      src,
      input: ({ context }) => connectionInput(context),
      onDone: { target: 'discovering', actions: 'recordSession' },
      onError: [...sessionStepFailed],
    },
    after: { stepTimeout: [...sessionStepTimedOut] },
  });
}

export const backendSessionMachine = sessionSetup.createMachine({
  id: 'backendSession',
  context: ({ input }) => initialContext(input),
  initial: 'connecting',
  on: { close: '.closed' },
  states: {
    connecting: connectState('connect'),
    // Entered with every piece of the old session already dropped (dropSession): a fresh connection, a fresh
    // initialize and a fresh discovery follow; nothing of the old session is reused (RFC, reconnection step 3).
    reinitializing: connectState('reconnect'),
    session: {
      invoke: {
        id: 'holdConnection',
        src: 'holdConnection',
        input: ({ context }) => connectionInput(context),
      },
      initial: 'handshake',
      on: { close: '.closing' },
      states: {
        /** The era decides how a session begins. */
        handshake: {
          always: [{ guard: 'isModern', target: 'serverDiscover' }, { target: 'initializing' }],
        },
        /** 2025 era: initialize + notifications/initialized; the server may grant an Mcp-Session-Id. */
        initializing: establishingState('initialize', 'initialize'),
        /** 2026-07-28: no handshake and no session id; `server/discover` says what the server offers. */
        serverDiscover: establishingState('serverDiscover', 'serverDiscover'),
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
          // The one state so tagged: owners read readiness from the tag on every call (backend-session-status.ts).
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
                    input: ({ context }) => streamInput(context, context.stream.lastEventId),
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
                    ...streamReports,
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
                    input: ({ context }) => streamInput(context, undefined),
                  },
                  initial: 'opening',
                  states: {
                    opening: {},
                    /** The server acknowledged the subscription. */
                    open: {},
                  },
                  on: {
                    'stream.opened': { target: '.open', actions: 'streamOpened' },
                    ...streamReports,
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
                    'stream.opened': { guard: 'streamOpenedWithGap', target: 'refreshing', actions: 'markMissed' },
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
                      { target: 'retrying', actions: ['planRefreshRetry', 'emitRefreshFailed'] },
                    ],
                  },
                  on: {
                    // A change during a fetch: the fetch may predate it, so fetch once more afterwards.
                    'notification.listChanged': [
                      { guard: 'listChangedAdvertised', actions: 'markDirty' },
                      { actions: 'emitIgnored' },
                    ],
                    'stream.opened': { guard: 'streamOpenedWithGap', actions: 'markMissed' },
                  },
                },
                /** A re-fetch failed: its kinds stay dirty and are fetched again after the backoff. */
                retrying: {
                  after: { refreshRetry: 'checking' },
                  on: {
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
            input: ({ context }) => connectionInput(context),
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
            onError: [eraStale, eraRaced, permanent, { target: 'waiting', actions: ['recordFailure', 'openCircuit'] }],
          },
          after: { stepTimeout: { target: 'waiting', actions: ['recordFailure', 'openCircuit'] } },
        },
      },
    },
    failed: { type: 'final' },
    closed: { type: 'final' },
  },
});
