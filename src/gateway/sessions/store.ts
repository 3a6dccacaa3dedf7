// session store port: where a gateway keeps its 2025-era client sessions, so that any process able to read a record
// can serve that session's next request. Three parts: the session records (admission against the caps, idle expiry,
// eviction of the least recently active idle session), the resumable-stream event log of each session (what a client
// gets again with `Last-Event-ID`, on any replica), and a bus that carries what must reach the process holding a
// client's stream or waiting for a client's answer (2026-07-28 clients use it too, though they have no session: list
// changes for their listen streams, and retries of calls parked in another process, sent to that process alone). Everything is async and
// JSON-serializable; secrets (bearer tokens) are never stored: a request brings its own credentials, and per-client
// backend sessions are keyed by the owner's subject. Implementations: memory-store.ts (one process, the default);
// redis-store.ts (shared by replicas).
import type {
  ClientCapabilities,
  Implementation,
  JSONRPCMessage,
  LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';

/** One client session, as data. Times are Unix epoch milliseconds (comparable across processes). */
export interface ClientSessionRecord {
  /** The `Mcp-Session-Id`: random, unguessable. */
  id: string;
  /** The identity (subject) that initialized it: anyone else is told it does not exist. tokenExchange keys on it. */
  owner: string;
  /** Whose quota the session counts against (session-quota-key.ts). */
  client: string;
  /** The revision negotiated at initialize (a 2025-era one). */
  protocolVersion: string;
  clientInfo?: Implementation;
  clientCapabilities: ClientCapabilities;
  /** What `logging/setLevel` asked for; absent: every level. */
  logLevel?: LoggingLevel;
  /** Resource URIs the client subscribed to (`resources/subscribe`). */
  subscriptions: string[];
  createdAt: number;
  /** The last request's start or end. */
  lastSeen: number;
}

/** The fields a request may change. */
export type SessionPatch = Partial<Pick<ClientSessionRecord, 'logLevel' | 'subscriptions' | 'clientCapabilities'>>;

export interface SessionLimits {
  /** Sessions across the gateway (all replicas sharing the store). */
  maxSessions: number;
  /** Sessions per quota key. */
  maxSessionsPerClient: number;
  /** A session with no request for this long (and none open) is closed. */
  idleTimeoutMs: number;
}

/** Why a new session cannot be opened: the HTTP status, a metrics reason and a message for the client. */
export interface SessionRefusal {
  status: 429 | 503;
  /** `store-unavailable`: a shared store cannot be reached, so the new session could not be stored. */
  reason: 'client-quota' | 'capacity' | 'store-unavailable';
  message: string;
}

/** A session closed to make room for a new one. */
export interface SessionEviction {
  id: string;
  client: string;
  reason: SessionRefusal['reason'];
}

export type SessionAdmission =
  | { ok: true; evicted: SessionEviction[] }
  | { ok: false; refusal: SessionRefusal; evicted: SessionEviction[] };

/**
 * What keeps a session from being closed while a request of it runs. `work` (POST, DELETE): neither evicted nor
 * expired. `stream` (an open GET): not expired, but it may be evicted (clients keep one open for the session's life).
 */
export type VisitKind = 'work' | 'stream';

/** One request's hold on its session; `leave` when the HTTP response closes (idempotent). */
export interface SessionVisit {
  record: ClientSessionRecord;
  leave(): void;
}

/** Why a session ended. */
export type SessionEnd = 'deleted' | 'idle' | 'evicted' | 'shutdown';

export interface SessionStore {
  /** The resumable streams of every session. */
  readonly events: SessionEventLog;
  /** Deliveries to whichever process holds a session's stream or waits for its client. */
  readonly bus: SessionBus;
  /**
   * Store a new session (admission): at the client's quota or the gateway's cap the least recently active session
   * with no `work` visit is evicted first (the client's own for its quota, anyone's for the cap); refused when none
   * can be. Atomic: concurrent creations never exceed a limit.
   */
  create(record: ClientSessionRecord): Promise<SessionAdmission>;
  get(id: string): Promise<ClientSessionRecord | undefined>;
  /** Begin a request of the session (counts as activity); undefined when the session does not exist. */
  visit(id: string, kind: VisitKind): Promise<SessionVisit | undefined>;
  /** Change fields of a record; undefined when the session does not exist. */
  update(id: string, patch: SessionPatch): Promise<ClientSessionRecord | undefined>;
  /** End a session and its event log; false when it did not exist. */
  delete(id: string, why?: SessionEnd): Promise<boolean>;
  /** Sessions ended (any reason) that this process should forget (its local caches, backend subscriptions). */
  onEnded(listener: (id: string, why: SessionEnd) => void): () => void;
  /** Sessions stored (for the gauge; may be approximate for a shared store). */
  count(): Promise<number>;
  /** Stop timers and connections; records stay (a shared store keeps them for other replicas). */
  close(): Promise<void>;
}

/** The stream id of a session's standalone (GET) stream. */
export const STANDALONE_STREAM = '_GET_stream';

/**
 * The stream an event id belongs to: ids are `<stream>.<sequence>` (stream ids hold no dot), so a process can tell
 * which stream a `Last-Event-ID` resumes before reading the log.
 */
export function streamOfEventId(eventId: string): string | undefined {
  const dot = eventId.lastIndexOf('.');
  return dot > 0 ? eventId.slice(0, dot) : undefined;
}

/** One stored SSE event. */
export interface StoredStreamEvent {
  id: string;
  message: JSONRPCMessage;
}

/**
 * Resumable SSE streams (MCP 2025-11-25, transports, "Resumability and Redelivery"). Only SSE streams are logged: a
 * POST answered with one JSON body has nothing to resume. Bounded in bytes per session and in total, with a TTL; an
 * event the client may not have seen that had to be dropped makes every resume from before it fail, rather than
 * replay with a silent gap.
 */
export interface SessionEventLog {
  /**
   * Log one event of a stream and give its id (`Last-Event-ID`s are these; `<stream>.<sequence>`, see
   * streamOfEventId). `final`: the response that ends a POST stream; the stream gets nothing after it.
   */
  append(session: string, stream: string, message: JSONRPCMessage, final?: boolean): Promise<string>;
  /**
   * A client resumes after `lastEventId`: everything up to it is acknowledged (dropped), the events after it are
   * returned in order. Undefined when the id is unknown, not this session's, or an event after it was lost.
   */
  replay(session: string, lastEventId: string): Promise<{ stream: string; events: StoredStreamEvent[] } | undefined>;
  /**
   * Forget a stream: its response was written out completely (the client has every event), or a fresh GET replaces
   * the standalone stream.
   */
  dropStream(session: string, stream: string): Promise<void>;
  /** Forget every stream of a session (it ended). */
  dropSession(session: string): Promise<void>;
}

/** A list change as the aggregate saw it: the kind and a digest of the new list. */
export interface ListChange {
  kind: 'tools' | 'prompts' | 'resources';
  digest: string;
}

/** What travels on the bus. */
export type SessionSignal =
  /** Lists changed: for every session. Only kinds whose digest differs from the last one published are delivered. */
  | { type: 'lists-changed'; kinds: ListChange['kind'][] }
  /** A resource one session subscribed to changed. */
  | { type: 'resource-updated'; session: string; uri: string }
  /**
   * A message from the client that a request elsewhere waits for: its answer to a relayed server request (a JSON-RPC
   * response) or `notifications/cancelled` for one of its calls.
   */
  | { type: 'client-message'; session: string; message: JSONRPCMessage }
  /**
   * An event of a stream whose connection is gone, for a resumed stream held by another request or process; `final`:
   * the stream's last.
   */
  | { type: 'stream-event'; session: string; stream: string; event: StoredStreamEvent; final?: boolean }
  /**
   * A process (`holder`, an id of its own choosing) opened the session's standalone stream: any other that held it
   * ends its copy and stops logging for it (one standalone stream per session).
   */
  | { type: 'standalone-opened'; session: string; holder: string };

/** A JSON-RPC error as a 2026-07-28 client gets it, with the HTTP status of its response. */
export interface RenderedError {
  status: number;
  error: { code: number; message: string; data?: unknown };
}

/** How a 2026-07-28 call that may ask its client for input ends one round. */
export type ParkedCallOutcome =
  | { kind: 'result'; result: Record<string, unknown> }
  | ({ kind: 'error' } & RenderedError)
  /** Questions for the client, and the requestState its retry brings back. */
  | { kind: 'input'; inputRequests: Record<string, { method: string; params?: unknown }>; requestState: string };

/** A client's retry of a parked call: its answers, and what the parked call is bound to. */
export interface ParkedCallRetry {
  token: string;
  /** The principal that sent the retry. */
  subject: string;
  method: string;
  /** The method and the tool, prompt or resource it names. */
  target: string;
  inputResponses?: unknown;
}

export type ParkedCallMessage =
  /** To the process holding the call: a retry received by process `from`. */
  | ({ kind: 'retry'; from: string } & ParkedCallRetry)
  /** To the process holding the call: the retry's client closed its response (the call is cancelled). */
  | { kind: 'cancel' }
  /** To the process relaying the retry: the call is being worked on (at once, then while it runs). */
  | { kind: 'alive' }
  /** To the process relaying the retry: a notification of the call (progress, a log line). */
  | { kind: 'notify'; message: unknown }
  /** To the process relaying the retry: how the round ended; the exchange's last message. */
  | { kind: 'done'; outcome: ParkedCallOutcome };

export interface SessionBus {
  /**
   * Deliver to every subscriber (of every process), once each. Lists changes are published as `ListChange`s and
   * delivered as a `lists-changed` signal naming the kinds that really changed, or not at all.
   */
  publish(
    signal: Exclude<SessionSignal, { type: 'lists-changed' }> | { type: 'lists-changed'; changes: ListChange[] },
  ): Promise<void>;
  subscribe(listener: (signal: SessionSignal) => void): () => void;
  /**
   * Deliver one message of a parked-call exchange (`ref` names the exchange, modern/parked-call-relay.ts) to the
   * process receiving for `address` alone: no other process gets it. Resolves false when none receives for `address`
   * (that process is gone); rejects when the store cannot be reached.
   */
  sendTo(address: string, ref: string, message: ParkedCallMessage): Promise<boolean>;
  /** Receive what is sent to `address` (an id of this process's own choosing, one receiver per address). */
  receive(address: string, listener: (ref: string, message: ParkedCallMessage) => void): () => void;
}
