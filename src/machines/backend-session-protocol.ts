// The one interface the backend-session machine talks to. It is era-independent on purpose: it is implemented over
// MCP 2025-11-25 sessions (negotiated down to 2025-06-18 and 2025-03-26) on Streamable HTTP, over the legacy HTTP+SSE
// transport (2024-11-05), and over stateless MCP 2026-07-28 (`server/discover`, the per-request `_meta` envelope,
// `subscriptions/listen`). The era is decided by the `connect` effect (a `server/discover` probe) and cached by the
// machine; the chart branches on it where the eras differ. Types only. It lives beside the machine (the machine owns
// the port it talks to) and src/actors/mcp/protocol.ts re-exports it for the implementations.
import type {
  ClientCapabilities,
  Implementation,
  LoggingMessageNotification,
  Progress,
  Prompt,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';

export type TransportKind = 'streamable-http' | 'sse';

/** The lists a backend can advertise; resource templates ride on the `resources` capability. */
export type ListKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

/** The capabilities whose `listChanged: true` makes `notifications/<kind>/list_changed` meaningful. */
export type ListChangeKind = 'tools' | 'resources' | 'prompts';

export interface BackendLists {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

/**
 * Modern: revisions that carry version, identity and capabilities on every request (2026-07-28 and later). Legacy:
 * revisions that open a session with `initialize` (2025-11-25 and earlier).
 */
export type ProtocolEra = 'modern' | 'legacy';

/** Which era a backend speaks, as the `server/discover` probe found it; cached per backend by the machine. */
export interface EraDecision {
  era: ProtocolEra;
  /** The modern revision both sides speak (legacy: undefined, `initialize` negotiates it). */
  version: string | undefined;
  /** Why, in words for status and logs (e.g. "server/discover answered 404 Method not found"). */
  reason: string;
}

/** What an established session is, as far as the owner and status reporting care. */
export interface SessionInfo {
  /** The negotiated protocol version, e.g. `2025-11-25`. */
  protocolVersion: string;
  transport: TransportKind;
  /** The `Mcp-Session-Id` the server granted, if any (stateless servers grant none). */
  sessionId: string | undefined;
  serverInfo: Implementation;
  capabilities: ServerCapabilities;
  instructions: string | undefined;
}

/**
 * Why an effect failed, as data the machine can decide on. Implementations throw errors that carry these fields
 * (see src/actors/mcp/errors.ts); anything else is treated as a retryable network failure.
 */
export type FailureKind =
  | 'sessionLost' // HTTP 404 on a request that carried Mcp-Session-Id: the whole session is gone
  | 'unsupportedProtocol' // the server speaks no protocol version we do (final), or no longer the cached era's
  | 'http' // any other HTTP status
  | 'network' // connection refused/reset, DNS, TLS
  | 'timeout'
  | 'protocol' // malformed JSON-RPC, oversized event, wrong content type
  | 'auth' // outgoing credentials could not be obtained or were refused
  | 'config' // bad local configuration (URL, headers, CA bundle): final
  | 'aborted';

export interface SessionFailure {
  kind: FailureKind;
  /**
   * Whether the same request may succeed when made again (an HTTP 400 will not, a 503 may). The session machine ends
   * a session only on a non-retryable `unsupportedProtocol` or `config` failure (isPermanentFailure); every other
   * failed attempt backs off, because what a remote answers can change.
   */
  retryable: boolean;
  message: string;
  /** HTTP status, when the failure was an HTTP response. */
  status?: number;
  /** For `unsupportedProtocol`: the versions the server said it offers. */
  supportedVersions?: string[];
}

/** Callbacks of one notification-stream attempt (the GET stream in 2025-era Streamable HTTP). */
export interface NotificationStreamHandlers {
  /** The server accepted the stream (HTTP 200, text/event-stream). */
  onOpen(): void;
  /** An SSE event carried an id: the cursor for `Last-Event-ID` on the next attempt. */
  onEventId(id: string): void;
  /** An SSE `retry` field: the server's wait before the next reconnection attempt. */
  onRetry(ms: number): void;
  /** A JSON-RPC message arrived on the stream (used to tell a live stream from an idle-closing one). */
  onMessage(): void;
}

/** One attempt at the server-to-client stream: where to resume, when to stop, whom to tell. */
export interface NotificationStreamOptions {
  lastEventId: string | undefined;
  signal: AbortSignal;
  handlers: NotificationStreamHandlers;
}

export type NotificationStreamOutcome =
  /** The stream ended or dropped after it was open; reconnect (resuming with the last event id). */
  | { kind: 'ended'; detail?: string }
  /** The server offers no stream (405 on GET): not an error, nothing to reconnect. */
  | { kind: 'unsupported'; reason: string };

export interface RequestOptions {
  /** Aborts the request; the backend hears `notifications/cancelled`. */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Progress the backend reports for this request. */
  onProgress?: (progress: Progress) => void;
  /** `notifications/message` the backend sent on this request's own response stream. */
  onLog?: (log: LoggingMessageNotification['params']) => void;
  /**
   * The client capabilities to declare for this request alone, where the era declares them per request
   * (2026-07-28's envelope); without it the connection's own. A session-era connection declared its set at
   * initialize and ignores this.
   */
  clientCapabilities?: ClientCapabilities;
  /**
   * Requests the backend sends on this request's own response stream (sampling, elicitation, roots): answer them,
   * e.g. by relaying to the gateway's client. Without a handler they are refused with "method not found". The
   * backend only sends what the connection's declared client capabilities allow.
   */
  onServerRequest?: (
    request: { method: string; params?: Record<string, unknown> },
    signal: AbortSignal,
  ) => Promise<Record<string, unknown>>;
}

export interface RequestReport {
  /** The HTTP status of the request's POST, when one was made. */
  httpStatus?: number;
}

/** Something the connection observed on its own, outside any single request. */
export type ConnectionEvent =
  | { type: 'notification'; method: string; params?: unknown }
  /** A 404 for a request that carried this session's id (e.g. while resuming a response stream). */
  | { type: 'sessionLost'; sessionId: string | undefined };

/**
 * One backend connection: created by `BackendProtocol.connect`, initialized once, used until it is lost or closed.
 * Never reused across sessions: a re-initialization always gets a new connection.
 */
export interface BackendConnection {
  readonly transport: TransportKind;
  /** Set after `initialize` succeeded. */
  readonly info: SessionInfo | undefined;
  /** The era this connection speaks, when `connect` decided it (absent: legacy). */
  readonly era?: EraDecision;
  /**
   * Legacy: `initialize`, then `notifications/initialized`; the version is negotiated here. Modern: `server/discover`
   * (no handshake: the answer only describes the server).
   */
  initialize(signal: AbortSignal): Promise<SessionInfo>;
  /** Fetch every page of one list. */
  list<K extends ListKind>(kind: K, signal: AbortSignal): Promise<BackendLists[K]>;
  /** Forward one request; the result is passed through as the backend sent it. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options?: RequestOptions,
  ): Promise<{ result: Record<string, unknown>; report: RequestReport }>;
  /**
   * `tools/call`, its result's JSON text kept so the gateway can relay it as the backend sent it. Optional: without
   * it, or when it cannot, a connection's `request` serves.
   */
  callToolRaw?(
    params: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<{ result: Record<string, unknown>; report: RequestReport }>;
  /**
   * One attempt at the server-to-client stream. Resolves when it ended after being open or when the server offers
   * none; rejects (with a SessionFailure-shaped error) when it could not be opened.
   */
  openNotificationStream(options: NotificationStreamOptions): Promise<NotificationStreamOutcome>;
  /** Subscribe to connection events; returns the unsubscribe function. */
  onEvent(listener: (event: ConnectionEvent) => void): () => void;
  /** Close locally (no DELETE): the connection is being dropped or replaced. */
  close(): Promise<void>;
  /** End the session on the server (DELETE with Mcp-Session-Id where the transport has one), then close. */
  terminate(signal: AbortSignal): Promise<void>;
}

/**
 * A backend: how to reach it. Each `connect` resolves credentials and opens a fresh transport. Given a cached era it
 * opens a connection of that era; without one it may probe (`server/discover`) and report what it found in the
 * connection's `era`. A protocol that cannot speak the modern era (legacy SSE, simulated backends) ignores `era`.
 */
export interface BackendProtocol {
  readonly transport: TransportKind;
  connect(signal: AbortSignal, era?: EraDecision): Promise<BackendConnection>;
}
