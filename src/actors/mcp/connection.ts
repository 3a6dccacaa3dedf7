// One 2025-era backend connection: initialize (version negotiation and capabilities), paginated lists, request
// pass-through, and the notification stream of our transport. session-client.ts owns JSON-RPC correlation, request
// timeouts, progress and cancellation; our transport owns HTTP and the session rules; this class joins them and turns
// failures into SessionFailure-shaped errors. Not the SDK's Client: that loads zod 3 and 4, Ajv and
// zod-to-json-schema into every gateway (about 6 MiB at rest) to check results the gateway passes through unchanged.
import type { ClientCapabilities, Implementation, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { ErrorCode, McpError } from '../../api/mcp-errors.ts';
import { isPlainObject } from '../../api/plain-object.ts';
import type { ActorClock } from './clock.ts';
import { ConnectionUsers } from './connection-users.ts';
import { BackendError, protocolError } from './errors.ts';
import { collectPages } from './list-pages.ts';
import type {
  BackendConnection,
  BackendLists,
  ConnectionEvent,
  ListKind,
  NotificationStreamOptions,
  NotificationStreamOutcome,
  RequestOptions,
  RequestReport,
  SessionInfo,
} from './protocol.ts';
import { SessionClient } from './session-client.ts';
import type { McpTransport } from './transports/types.ts';

export const MCPRE_CLIENT_INFO: Implementation = { name: 'mcpre', version: '0.1.0' };

/** The versions we can speak, newest first: 2025-era sessions, and 2024-11-05 over the legacy SSE transport. */
export const SPOKEN_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
/** What initialize offers; the server answers with it or with an older version it prefers. */
const OFFERED_VERSION = SPOKEN_VERSIONS[0]!;

export interface McpConnectionOptions {
  clientInfo?: Implementation;
  capabilities?: ClientCapabilities;
  /** Default request timeout (60 s unless given). */
  requestTimeoutMs?: number;
  clock: ActorClock;
  /**
   * Server-to-client requests that arrive outside any request's response stream (on the GET stream, as servers built
   * on the v1 SDK's `server.request(...)` send them): the owner decides who answers. Without it they are refused.
   */
  onUnrelatedServerRequest?: RequestOptions['onServerRequest'];
  log: Logger;
}

export class McpConnection implements BackendConnection {
  readonly transport: McpTransport['kind'];
  info: SessionInfo | undefined;
  readonly #t: McpTransport;
  readonly #client: SessionClient;
  readonly #clientInfo: Implementation;
  readonly #capabilities: ClientCapabilities;
  readonly #users = new ConnectionUsers(() => this.#closeNow());
  readonly #timeoutMs: number;
  readonly #log: Logger;
  #closed = false;

  constructor(transport: McpTransport, options: McpConnectionOptions) {
    this.#t = transport;
    this.transport = transport.kind;
    this.#log = options.log;
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#clientInfo = options.clientInfo ?? MCPRE_CLIENT_INFO;
    this.#capabilities = options.capabilities ?? {};
    const unrelated = options.onUnrelatedServerRequest;
    this.#client = new SessionClient(transport, options.clock, {
      // Every notification but progress and cancellation (list_changed, logging outside a request,
      // resources/updated): to our listeners, which decide what to act on and what to log and drop.
      onNotification: (n) => this.#users.emit({ type: 'notification', method: n.method, params: n.params }),
      // Server-to-client requests (sampling, elicitation, roots): answered by the caller whose request they belong
      // to, or, arriving outside any request, by whoever the owner says; refused otherwise (ping is answered below).
      onRequest: (request, signal) => {
        const related = this.#t.hooksForServerRequest(request.id);
        const handler = related ? related.onServerRequest : unrelated;
        if (!handler) {
          throw new McpError(
            ErrorCode.MethodNotFound,
            `mcpre does not answer ${request.method} outside a relayed request`,
          );
        }
        return handler({ method: request.method, params: request.params }, signal);
      },
      onError: (err) => this.#log.debug({ err: err.message }, 'MCP client error'),
    });
    transport.onConnectionEvent = (event) => this.#users.emit(event);
  }

  async initialize(signal: AbortSignal): Promise<SessionInfo> {
    let answer: InitializeAnswer;
    try {
      await this.#client.start();
      const params = {
        protocolVersion: OFFERED_VERSION,
        capabilities: this.#capabilities,
        clientInfo: this.#clientInfo,
      };
      answer = initializeAnswer(
        await this.#client.request('initialize', params, { signal, timeoutMs: this.#timeoutMs }),
      );
      this.#t.setProtocolVersion?.(answer.protocolVersion);
      await this.#client.notify('notifications/initialized');
    } catch (err) {
      void this.#client.close().catch(() => {});
      throw initializeFailure(err);
    }
    this.info = {
      protocolVersion: this.#t.protocolVersion ?? 'unknown',
      transport: this.#t.kind,
      sessionId: this.#t.sessionId,
      serverInfo: answer.serverInfo,
      capabilities: answer.capabilities,
      instructions: answer.instructions,
    };
    return this.info;
  }

  list<K extends ListKind>(kind: K, signal: AbortSignal): Promise<BackendLists[K]> {
    return collectPages(kind, (method, params) =>
      this.#client.request(method, params, { signal, timeoutMs: this.#timeoutMs }),
    );
  }

  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: RequestOptions = {},
  ): Promise<{ result: Record<string, unknown>; report: RequestReport }> {
    return this.#request(method, params, options, false);
  }

  /**
   * tools/call whose result keeps the JSON text it was parsed from where the transport can (Streamable HTTP;
   * transports/raw-json.ts), for the gateway to relay as the backend sent it.
   */
  callToolRaw(params: Record<string, unknown>, options: RequestOptions = {}) {
    return this.#request('tools/call', params, options, true);
  }

  #request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: RequestOptions,
    keepResultText: boolean,
  ): Promise<{ result: Record<string, unknown>; report: RequestReport }> {
    const report: RequestReport = {};
    return this.#users.request(() => {
      this.#t.bindNextRequest({
        onLog: options.onLog,
        onServerRequest: options.onServerRequest,
        onStatus: (status) => (report.httpStatus = status),
        keepResultText,
      });
      let answer: Promise<Record<string, unknown>>;
      try {
        // The session client hands the request to the transport before it returns, which claims the hooks then.
        answer = this.#client.request(method, params, {
          signal: options.signal,
          timeoutMs: options.timeoutMs ?? this.#timeoutMs,
          onProgress: options.onProgress,
        });
      } finally {
        // Should the request have failed before reaching the transport, its hooks must not leak onto the next one.
        this.#t.bindNextRequest(undefined);
      }
      return answer.then((result) => ({ result, report }));
    });
  }

  openNotificationStream(options: NotificationStreamOptions): Promise<NotificationStreamOutcome> {
    return this.#t.openNotificationStream(options);
  }

  onEvent(listener: (event: ConnectionEvent) => void): () => void {
    return this.#users.onEvent(listener);
  }

  /**
   * Close locally. Callers' requests still in flight are let finish first: when the session was lost they each get
   * their own 404 (and their caller retries on the new session) instead of a "connection closed" that would hide
   * whether the backend saw them. Each request is bounded by its timeout, so the wait is too.
   */
  close(): Promise<void> {
    return this.#users.close();
  }

  async #closeNow(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#users.forget();
    await this.#client.close().catch(() => {});
    await this.#t.close().catch(() => {});
  }

  /** Shutdown: DELETE the session and close at once (in-flight requests are aborted). */
  async terminate(signal: AbortSignal): Promise<void> {
    if (!this.#closed) await this.#t.terminate(signal).catch(() => {});
    await this.#closeNow();
  }
}

/** What an InitializeResult without the fields a session needs fails with: retried, the server may be fixed. */
export const malformedInitializeResult = () => protocolError(`initialize: the server's InitializeResult is malformed`);

interface InitializeAnswer {
  protocolVersion: string;
  capabilities: ServerCapabilities;
  serverInfo: Implementation;
  instructions: string | undefined;
}

/** The fields of an InitializeResult this code reads, checked; a version we do not speak is final. */
function initializeAnswer(result: Record<string, unknown>): InitializeAnswer {
  const { protocolVersion, capabilities, serverInfo, instructions } = result;
  const wellFormed =
    typeof protocolVersion === 'string' &&
    isPlainObject(capabilities) &&
    isPlainObject(serverInfo) &&
    typeof serverInfo.name === 'string' &&
    typeof serverInfo.version === 'string' &&
    (instructions === undefined || typeof instructions === 'string');
  if (!wellFormed) throw malformedInitializeResult();
  if (!SPOKEN_VERSIONS.includes(protocolVersion)) {
    throw new BackendError({
      kind: 'unsupportedProtocol',
      retryable: false,
      supportedVersions: [protocolVersion],
      message: `the server answered initialize with protocol version ${protocolVersion}; mcpre speaks ${spokenList()}`,
    });
  }
  return {
    protocolVersion,
    capabilities: capabilities as ServerCapabilities,
    serverInfo: serverInfo as unknown as Implementation,
    instructions,
  };
}

const spokenList = () => SPOKEN_VERSIONS.join(', ');
/** How an HTTP error's detail names an UnsupportedProtocolVersion body (src/actors/mcp/http/body.ts errorDetail). */
const MODERN_REFUSAL = /JSON-RPC error -32022\b/;

/** Initialize errors as data: an unsupported protocol version is final, everything else is retried. */
export function initializeFailure(err: unknown): BackendError {
  if (err instanceof BackendError && err.kind === 'http' && err.status === 400 && MODERN_REFUSAL.test(err.message)) {
    // A 2026-07-28-only server refusing initialize (HTTP 400 + UnsupportedProtocolVersion): the cached era is stale.
    return new BackendError({
      kind: 'unsupportedProtocol',
      retryable: false,
      message: `the server refused initialize as a 2026-07-28-only server would: ${err.message}`,
    });
  }
  if (err instanceof BackendError) return err;
  if (err instanceof McpError) {
    const data = err.data as { supported?: unknown } | undefined;
    const supported = Array.isArray(data?.supported) ? data.supported.map(String) : undefined;
    if (supported || /unsupported protocol version/i.test(err.message)) {
      return new BackendError({
        kind: 'unsupportedProtocol',
        retryable: false,
        supportedVersions: supported,
        message: `the server refused initialize: ${supported ? `it offers protocol versions ${supported.join(', ')}` : err.message}; mcpre speaks ${spokenList()}`,
      });
    }
    if (err.code === ErrorCode.MethodNotFound) {
      return new BackendError({
        kind: 'unsupportedProtocol',
        retryable: false,
        message: `the server does not implement initialize; mcpre speaks ${spokenList()} over initialize`,
      });
    }
    if (err.code === ErrorCode.RequestTimeout) {
      return new BackendError({ kind: 'timeout', retryable: true, message: `initialize: ${err.message}` });
    }
    return new BackendError({ kind: 'protocol', retryable: true, message: `initialize: ${err.message}` });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BackendError({ kind: 'network', retryable: true, message: `initialize: ${message}` }, { cause: err });
}
