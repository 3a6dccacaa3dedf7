// What the backend session chart holds and hands its effects (context, input, events, the effect actors' inputs), and
// the pure readings and resets of that context its guards and actions share. The chart itself is backend-session.ts.
import { toSessionFailure } from './backend-session-failures.ts';
import { emptyBackendLists } from './backend-session-lists.ts';
import { resolvePolicy, type SessionPolicy, type SessionRng } from './backend-session-policy.ts';
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
  /** A refusal right after a fresh probe already led to a second probe (reset once a session is established). */
  eraReprobed: boolean;
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
  /** Failed list re-fetches in a row (the kinds stay dirty and are fetched again after a backoff). */
  refreshStep: number;
  refreshWaitMs: number;
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

export function notProvided(name: string): never {
  throw new Error(
    `backend-session: the "${name}" actor was not provided; use backendSessionMachine.provide({ actors })`,
  );
}

export const freshStream = (): StreamContext => ({
  lastEventId: undefined,
  step: 0,
  waitMs: 0,
  granted: false,
  unsupportedReason: undefined,
  lastProblem: undefined,
  reconnects: 0,
});

/** Everything that belongs to one session, reset whenever that session is left. */
export const forgottenSession = {
  connection: undefined,
  session: undefined,
  lists: emptyBackendLists(),
  dirty: [] as ListKind[],
  refreshing: [] as ListKind[],
  refreshStep: 0,
  refreshWaitMs: 0,
  stream: freshStream(),
  retryOverrideMs: undefined,
};

/** An onError event (it carries the error) or a step timeout (it carries none). */
export type ErrorLike = { type: string; error?: unknown };

/** What an effect on the live connection is handed; `session` holds a connection whenever these run. */
export const connectionInput = (context: BackendSessionContext): ConnectionInput => ({
  connection: context.connection as BackendConnection,
  backendId: context.backendId,
});

export const streamInput = (
  context: BackendSessionContext,
  lastEventId: string | undefined,
): NotificationStreamInput => ({
  connection: context.connection as BackendConnection,
  lastEventId,
});

export const connectInput = (context: BackendSessionContext): ConnectInput => ({
  backendId: context.backendId,
  cause: context.cause,
  protocol: context.protocol,
  era: context.era,
});

/** The failure an onError or step-timeout event stands for. */
export function failureOf(event: ErrorLike, context: BackendSessionContext): SessionFailure {
  if ('error' in event) return toSessionFailure(event.error);
  return {
    kind: 'timeout',
    retryable: true,
    message: `${context.step ?? 'step'} timed out after ${context.policy.stepTimeoutMs} ms`,
  };
}

/** A fresh actor's context: no session, no era, the circuit closed. */
export const initialContext = (input: BackendSessionInput): BackendSessionContext => ({
  backendId: input.backendId,
  protocol: input.protocol,
  policy: resolvePolicy(input.policy),
  rng: input.rng,
  connection: undefined,
  session: undefined,
  era: undefined,
  eraFresh: false,
  eraReprobed: false,
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
  refreshStep: 0,
  refreshWaitMs: 0,
});
