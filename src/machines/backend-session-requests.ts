// How callers use a backend session without going through the machine on the hot path: take the live connection
// while `ready`, call it directly; on a 404 for the session (the remote never saw the request) report the loss, wait
// for the one shared re-initialization and retry once. Many callers that hit the same 404 cause one re-initialization:
// the machine acts on the first `session.lost` for the current session id and ignores the rest. A request refused for
// its protocol revision (the backend changed era) is handled the same way: report, wait for the new era, retry once.
import type { ActorRefFrom } from 'xstate';
import type { backendSessionMachine } from './backend-session.ts';
import { isEraMismatchError, isSessionLostError } from './backend-session-failures.ts';
import type { BackendConnection } from './backend-session-protocol.ts';
import {
  type BackendSessionSnapshot,
  liveConnection,
  type SessionPhase,
  sessionPhase,
  sessionReason,
} from './backend-session-status.ts';

export type BackendSessionActor = ActorRefFrom<typeof backendSessionMachine>;

/** The backend cannot take requests now; `phase` and the message say why. */
export class BackendSessionUnavailableError extends Error {
  readonly phase: SessionPhase;
  constructor(backendId: string, phase: SessionPhase, reason: string | undefined) {
    super(`backend "${backendId}" is not available (${phase}${reason ? `: ${reason}` : ''})`);
    this.name = 'BackendSessionUnavailableError';
    this.phase = phase;
  }
}

export interface WaitOptions {
  /** A connection that must not be handed out again (the one that just lost its session). */
  exclude?: BackendConnection;
  signal?: AbortSignal;
}

/**
 * The live connection: at once when ready; after the current attempt when the session is being (re-)established;
 * rejected when the backend is backing off, unavailable, failed or closed (callers fail fast instead of queueing
 * behind a 30 s backoff).
 */
export function waitForConnection(actor: BackendSessionActor, options: WaitOptions = {}): Promise<BackendConnection> {
  const { exclude, signal } = options;
  // Every call asks: a ready session answers at once, with no subscription to the actor and no abort listener.
  const now = connectionNow(actor, signal, exclude);
  if (now) return Promise.resolve(now);
  return new Promise<BackendConnection>((resolve, reject) => {
    let settled = false;
    let subscription: { unsubscribe(): void } | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      subscription?.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const check = (snapshot: BackendSessionSnapshot) => {
      const live = liveConnection(snapshot);
      if (live && live !== exclude) return settle(() => resolve(live));
      if (snapshot.hasTag('establishing')) return;
      const phase = sessionPhase(snapshot);
      const reason =
        live && live === exclude
          ? 'the backend reported a lost session but it was not re-initialized'
          : sessionReason(snapshot);
      settle(() => reject(new BackendSessionUnavailableError(snapshot.context.backendId, phase, reason)));
    };
    const onAbort = () => settle(() => reject(signal?.reason ?? new Error('aborted')));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    subscription = actor.subscribe({
      next: check,
      error: (err) => settle(() => reject(err)),
      complete: () => check(actor.getSnapshot()),
    });
    if (!settled) check(actor.getSnapshot());
  });
}

/** The connection a request may run on at once: the session is ready, the caller has not given up, and it is not `exclude`. */
function connectionNow(
  actor: BackendSessionActor,
  signal: AbortSignal | undefined,
  exclude?: BackendConnection,
): BackendConnection | undefined {
  if (signal?.aborted) return undefined;
  const live = liveConnection(actor.getSnapshot());
  return live && live !== exclude ? live : undefined;
}

/**
 * Run one request on the session. A session loss (404 on a request carrying the session id) or a refusal of the
 * revision we spoke is reported to the machine, and the request is run once more on the re-established session; any
 * other error is the caller's. A ready session runs the request at once: no promise and no await turn for the
 * connection, which every forwarded call would pay.
 */
export function withBackendSession<T>(
  actor: BackendSessionActor,
  run: (connection: BackendConnection) => Promise<T>,
  options: { signal?: AbortSignal } = {},
): Promise<T> {
  const { signal } = options;
  const live = connectionNow(actor, signal);
  if (live) return runRetryingOnce(actor, run, live, signal);
  return waitForConnection(actor, { signal }).then((first) => runRetryingOnce(actor, run, first, signal));
}

function runRetryingOnce<T>(
  actor: BackendSessionActor,
  run: (connection: BackendConnection) => Promise<T>,
  first: BackendConnection,
  signal: AbortSignal | undefined,
): Promise<T> {
  let running: Promise<T>;
  try {
    // Promise.resolve: a run that returns a plain value or a bare thenable still gets the retry below.
    running = Promise.resolve(run(first));
  } catch (err) {
    running = Promise.reject(err);
  }
  return running.catch(async (err: unknown) => {
    if (isSessionLostError(err)) actor.send({ type: 'session.lost', sessionId: first.info?.sessionId });
    else if (isEraMismatchError(err))
      actor.send({ type: 'era.mismatch', protocolVersion: first.info?.protocolVersion });
    else throw err;
    const second = await waitForConnection(actor, { exclude: first, signal });
    return await run(second);
  });
}
