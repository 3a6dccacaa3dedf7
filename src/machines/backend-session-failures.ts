// Errors as data: effects reject with errors that carry SessionFailure fields; the machine and its callers read them
// through these functions only, so no implementation class is imported into src/machines.
import type { SessionFailure } from './backend-session-protocol.ts';

const KINDS = new Set([
  'sessionLost',
  'unsupportedProtocol',
  'http',
  'network',
  'timeout',
  'protocol',
  'auth',
  'config',
  'aborted',
]);

/** The failure an effect's error describes; anything unrecognised is a retryable network failure. */
export function toSessionFailure(error: unknown): SessionFailure {
  if (error && typeof error === 'object') {
    const e = error as Partial<SessionFailure> & { message?: unknown };
    if (typeof e.kind === 'string' && KINDS.has(e.kind) && typeof e.retryable === 'boolean') {
      const failure: SessionFailure = {
        kind: e.kind,
        retryable: e.retryable,
        message: typeof e.message === 'string' ? e.message : String(e.kind),
      };
      if (typeof e.status === 'number') failure.status = e.status;
      if (Array.isArray(e.supportedVersions)) failure.supportedVersions = [...e.supportedVersions];
      return failure;
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'network', retryable: true, message };
}

/**
 * Kinds of failure that can be final for a session: the server speaks no protocol version we do (a refusal right after
 * a fresh probe that names the other era is not that: see eraRaced in backend-session-transitions.ts), or our own
 * configuration (URL, headers, CA bundle) cannot work. Nothing a remote answers is final: a 404 or a redirect on
 * initialize may be a server being deployed or a route being moved, so it backs off like any other failure and the
 * circuit breaker bounds what retrying costs.
 */
const PERMANENT_KINDS: ReadonlySet<SessionFailure['kind']> = new Set(['unsupportedProtocol', 'config']);

/** Whether a failed establishing step ends the session for good (the `failed` state) instead of backing off. */
export function isPermanentFailure(failure: SessionFailure): boolean {
  return !failure.retryable && PERMANENT_KINDS.has(failure.kind);
}

/**
 * The remote dropped the session and never saw the request: a 404, or a 400 saying the session id is unknown, on a
 * request that carried Mcp-Session-Id (the transports decide; src/actors/mcp/http/session-loss.ts).
 */
export function isSessionLostError(error: unknown): boolean {
  return (
    !!error && typeof error === 'object' && (error as { kind?: unknown }).kind === 'sessionLost' && 'retryable' in error
  );
}

/**
 * A request refused for the protocol revision it carried (UnsupportedProtocolVersion on a modern request, or a
 * modern-only server refusing a cached legacy session): the backend changed era, so it is classified again.
 */
export function isEraMismatchError(error: unknown): boolean {
  return (
    !!error &&
    typeof error === 'object' &&
    (error as { kind?: unknown }).kind === 'unsupportedProtocol' &&
    'retryable' in error
  );
}
