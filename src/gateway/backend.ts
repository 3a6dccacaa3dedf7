// The gateway's view of one backend: what aggregation and routing need, nothing about how the session is kept.
// The backend session actor (src/machines/backend-session*.ts) is adapted to this interface (session-actor-backend.ts,
// and per-client-backend.ts over it for tokenExchange). Keeping the interface this small is what lets the aggregator
// and the router be tested against in-memory fakes.

import type {
  ClientCapabilities,
  LoggingMessageNotification,
  Progress,
  ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { emptyBackendLists } from '../machines/backend-session-lists.ts';
import type { BackendLists } from '../machines/backend-session-protocol.ts';

/** Lifecycle as the gateway cares about it: only `ready` backends are aggregated and routed to. */
export type BackendState = 'connecting' | 'ready' | 'reinitializing' | 'backoff' | 'unavailable' | 'failed' | 'closed';

export { emptyBackendLists as emptyLists } from '../machines/backend-session-lists.ts';
// The lists are the backend-session machine's own: one shape from the session to the aggregator.
export type { BackendLists } from '../machines/backend-session-protocol.ts';

/** One frozen empty value, so "no lists yet" is never mistaken for a change when compared by identity. */
export const NO_LISTS: BackendLists = Object.freeze(emptyBackendLists()) as BackendLists;

/** How the gateway authenticates to the backend, as it appears in audit lines (never the credential itself). */
export type OutgoingAuthMethod = 'unauthenticated' | 'headerInjection' | 'tokenExchange';

/** Who is calling, as the gateway's incoming auth established it. */
export interface ClientIdentity {
  /** `anonymous`, or the validated token's subject. */
  subject: string;
  /** The validated bearer token, only for outgoing token exchange; never logged. */
  token?: string;
}

/** Answers a request the backend sends to the client (sampling, elicitation, roots). */
export type ServerRequestHandler = (
  request: { method: string; params?: Record<string, unknown> },
  signal: AbortSignal,
) => Promise<Record<string, unknown>>;

export interface ServerRequestRelay {
  capabilities: ClientCapabilities;
  unrelated: ServerRequestHandler;
}

export interface BackendRequestOptions {
  /** Aborts the backend request; the backend hears `notifications/cancelled`. */
  signal?: AbortSignal;
  /** Progress the backend reports for this request (the backend-side token is already translated away). */
  onProgress?: (progress: Progress) => void;
  /** Logging notifications the backend sent on this request's stream. */
  onLog?: (log: LoggingMessageNotification['params']) => void;
  /**
   * Requests the backend sends to the client while serving this request (sampling/createMessage, elicitation/create).
   * Without it, such requests are refused.
   */
  onServerRequest?: ServerRequestHandler;
  /** The caller, for per-identity credentials. */
  identity?: ClientIdentity;
  /** What to declare for this request where the backend's era declares capabilities per request (2026-07-28). */
  clientCapabilities?: ClientCapabilities;
  timeoutMs?: number;
}

/** Facts about one finished backend request, for audit and metrics. */
export interface BackendCallReport {
  /** The HTTP status of the last HTTP exchange the request made, when one was made. */
  httpStatus?: number;
}

export interface BackendRequestResult<R> {
  result: R;
  report: BackendCallReport;
}

/** An error from a backend request that keeps the HTTP status for the audit line. */
export class BackendRequestError extends Error {
  readonly httpStatus: number | undefined;
  readonly code: number | undefined;
  readonly data: unknown;
  constructor(message: string, opts: { httpStatus?: number; code?: number; data?: unknown; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'BackendRequestError';
    this.httpStatus = opts.httpStatus;
    this.code = opts.code;
    this.data = opts.data;
  }
}

export interface BackendInfo {
  name: string;
  /** The remote URL, as configured (audit strips query and credentials). */
  url: string;
  /** `direct` backends are opened only by the replica that holds the Lease. */
  type: 'direct' | 'proxy';
  authMethod: OutgoingAuthMethod;
}

export interface Backend {
  readonly info: BackendInfo;
  readonly state: BackendState;
  /** Why the backend is not ready, for /readyz and logs. */
  readonly reason: string | undefined;
  /**
   * What the backend serves: the current session's lists while `ready`, the last known ones while `reinitializing`
   * (calls wait for the new session, so the names stay routable and clients see no flicker), empty otherwise.
   */
  readonly lists: BackendLists;
  readonly capabilities: ServerCapabilities | undefined;
  /** The protocol revision agreed with the backend while ready (e.g. `2026-07-28`, `2025-11-25`), for status. */
  readonly protocolVersion?: string;
  /** Called after the state or any list changed. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** `notifications/resources/updated` from the backend. Returns an unsubscribe function. */
  onResourceUpdated(listener: (uri: string) => void): () => void;
  /** Open the session (idempotent). Resolves once the first attempt settled, whatever its outcome. */
  start(): Promise<void>;
  /** Send one request under the backend's own names. Rejects with BackendRequestError or an McpError. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts?: BackendRequestOptions,
  ): Promise<BackendRequestResult<Record<string, unknown>>>;
  /** Close the session (DELETE where the transport supports it). */
  close(): Promise<void>;
  /**
   * Before start(): the client capabilities to declare to the backend, and who answers the server requests it sends
   * outside any request (its GET stream). Without it nothing is declared and such requests are refused.
   */
  relayServerRequests?(relay: ServerRequestRelay): void;
}
