// Read-only views of a backend-session snapshot for owners: the gateway (routing, /readyz), status reporting
// (VirtualMCPServer / endpoint status), `mcpre probe` and the live view. Pure functions of the snapshot.
import type { SnapshotFrom } from 'xstate';
import type { backendSessionMachine } from './backend-session.ts';
import type { BackendConnection } from './backend-session-protocol.ts';

export type BackendSessionSnapshot = SnapshotFrom<typeof backendSessionMachine>;

/** The session's lifecycle as owners and status report it. */
export type SessionPhase = 'connecting' | 'ready' | 'reinitializing' | 'backoff' | 'unavailable' | 'failed' | 'closed';

/** The server-to-client stream (2025: the GET stream; 2026-07-28: subscriptions/listen) as status reports it. */
export type StreamPhase = 'none' | 'opening' | 'resuming' | 'open' | 'waiting' | 'unsupported';

/**
 * Whether the session is `session.ready`: the one state tagged `live`. A tag is a Set lookup on the snapshot, while
 * `matches()` walks the state value (and parses a string state on every call), and every call asks this.
 */
function isLive(snapshot: BackendSessionSnapshot): boolean {
  return snapshot.hasTag('live');
}

export function sessionPhase(snapshot: BackendSessionSnapshot): SessionPhase {
  if (snapshot.matches('failed')) return 'failed';
  if (snapshot.matches('closed') || snapshot.matches({ session: 'closing' })) return 'closed';
  if (isLive(snapshot)) return 'ready';
  if (snapshot.matches('backoff')) return 'backoff';
  if (snapshot.matches('unavailable')) return 'unavailable';
  if (snapshot.matches('reinitializing')) return 'reinitializing';
  // initializing / discovering after a connect: named after why the attempt runs.
  const cause = snapshot.context.cause;
  if (snapshot.matches('session')) {
    if (cause === 'sessionLost' || cause === 'eraChanged') return 'reinitializing';
    if (cause === 'probe') return 'unavailable';
  }
  return 'connecting';
}

/** A sentence for /readyz, status messages and the probe: why the backend is not ready (undefined when it is). */
export function sessionReason(snapshot: BackendSessionSnapshot): string | undefined {
  const phase = sessionPhase(snapshot);
  const { context } = snapshot;
  const last = context.lastFailure?.message;
  switch (phase) {
    case 'ready':
      return undefined;
    case 'failed':
      return last ?? 'failed';
    case 'closed':
      return 'closed';
    case 'backoff':
      return `retrying in ${context.waitMs} ms after ${context.consecutiveFailures} failed attempt(s): ${last ?? 'unknown error'}`;
    case 'unavailable':
      return `circuit open after ${context.policy.breakerThreshold} consecutive failures; probing every ${context.policy.probeIntervalMs} ms: ${last ?? 'unknown error'}`;
    case 'reinitializing':
      return context.cause === 'eraChanged'
        ? `the backend refused the protocol revision we spoke (${last ?? 'unsupported protocol version'}); probing it again`
        : 'the backend dropped the session; re-initializing';
    default:
      return context.step ? `${context.step} in progress` : 'connecting';
  }
}

/**
 * The protocol revision agreed with the backend for the live session (`initialize`'s answer in the 2025 era, the
 * revision spoken on every request in the 2026-07-28 era); undefined while no session is ready, because the next one
 * may agree on another (the backend may have been upgraded or rolled back in between).
 */
export function negotiatedRevision(snapshot: BackendSessionSnapshot): string | undefined {
  return isLive(snapshot) ? snapshot.context.session?.protocolVersion : undefined;
}

/** The live connection, handed out only while the session is ready. */
export function liveConnection(snapshot: BackendSessionSnapshot): BackendConnection | undefined {
  return isLive(snapshot) ? snapshot.context.connection : undefined;
}

export function streamPhase(snapshot: BackendSessionSnapshot): StreamPhase {
  if (!isLive(snapshot)) return 'none';
  if (snapshot.matches({ session: { ready: { stream: 'unsupported' } } })) return 'unsupported';
  if (snapshot.matches({ session: { ready: { stream: 'waiting' } } })) return 'waiting';
  if (snapshot.matches({ session: { ready: { stream: { subscribed: 'open' } } } })) return 'open';
  if (snapshot.matches({ session: { ready: { stream: 'subscribed' } } })) return 'opening';
  if (snapshot.matches({ session: { ready: { stream: { listening: 'open' } } } })) return 'open';
  if (snapshot.matches({ session: { ready: { stream: { listening: 'resuming' } } } })) return 'resuming';
  return 'opening';
}
