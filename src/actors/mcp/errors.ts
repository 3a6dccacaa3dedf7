// Errors the MCP effects throw: each carries the SessionFailure fields the backend-session machine decides on
// (kind, retryable, status), so the machine never needs to know these classes. Messages name what failed and never
// carry a header value, a token or a response body that could echo one.
import type { FailureKind, SessionFailure } from './protocol.ts';

export class BackendError extends Error implements SessionFailure {
  readonly kind: FailureKind;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly supportedVersions: string[] | undefined;
  constructor(failure: SessionFailure, options?: { cause?: unknown }) {
    super(failure.message, options);
    this.name = 'BackendError';
    this.kind = failure.kind;
    this.retryable = failure.retryable;
    this.status = failure.status;
    this.supportedVersions = failure.supportedVersions;
  }
}

/** The backend no longer knows our session (see http/session-loss.ts for what counts as saying so). */
export function sessionLostError(what: string, status = 404, detail?: string): BackendError {
  return new BackendError({
    kind: 'sessionLost',
    retryable: true,
    status,
    message: `${what}: HTTP ${status}${detail ? ` (${detail})` : ''} for our Mcp-Session-Id: the backend dropped the session`,
  });
}

/** Statuses worth retrying: the server may recover. Other 4xx are about the request and repeat identically. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 409 || status === 425 || status === 429;
}

export function httpError(status: number, what: string, detail: string | undefined): BackendError {
  const kind: FailureKind = status === 401 || status === 403 ? 'auth' : 'http';
  return new BackendError({
    kind,
    retryable: isRetryableStatus(status) || kind === 'auth',
    status,
    message: `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`,
  });
}

export function protocolError(message: string, retryable = true): BackendError {
  return new BackendError({ kind: 'protocol', retryable, message });
}

export function configError(message: string): BackendError {
  return new BackendError({ kind: 'config', retryable: false, message });
}

export function authError(message: string, retryable: boolean, options?: { cause?: unknown }): BackendError {
  return new BackendError({ kind: 'auth', retryable, message }, options);
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** Errors of a socket that died under the request (not timeouts, not refusals). */
export function isStaleSocket(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

/** A thrown error from undici or the socket as a BackendError (kept as is when it already is one). */
export function networkError(err: unknown, what: string): BackendError {
  if (err instanceof BackendError) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new BackendError({ kind: 'aborted', retryable: true, message: `${what}: aborted` }, { cause: err });
  }
  if (code && TIMEOUT_CODES.has(code)) {
    return new BackendError({ kind: 'timeout', retryable: true, message: `${what}: ${code}` }, { cause: err });
  }
  const text = code && !message.includes(code) ? `${code} ${message}` : message;
  return new BackendError({ kind: 'network', retryable: true, message: `${what}: ${text}`.trim() }, { cause: err });
}
