// One backend connection over the SDK's Client: initialize (version negotiation and capabilities), paginated lists,
// request pass-through, and the notification stream of our transport. The Client owns JSON-RPC correlation, request
// timeouts, progress and cancellation; our transport owns HTTP and the session rules; this class only joins them and
// turns failures into SessionFailure-shaped errors.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type ClientCapabilities,
  ErrorCode,
  type Implementation,
  McpError,
  ResultSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { Logger } from 'pino';
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
import type { McpTransport } from './transports/types.ts';

export const MCPRE_CLIENT_INFO: Implementation = { name: 'mcpre', version: '0.1.0' };

/** The versions we can speak, newest first: 2025-era sessions, and 2024-11-05 over the legacy SSE transport. */
export const SPOKEN_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v >= '2024-11-05');

// Results pass through to the gateway's clients unchanged; validating tool output here would only add cost (and Ajv
// per connection: thousands of them per gateway).
export const passThroughValidator: jsonSchemaValidator = {
  getValidator: () => (input: unknown) => ({ valid: true, data: input as never, errorMessage: undefined }),
};

export interface McpConnectionOptions {
  clientInfo?: Implementation;
  capabilities?: ClientCapabilities;
  /** Default request timeout (the SDK's own default is 60 s). */
  requestTimeoutMs?: number;
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
  readonly #client: Client;
  readonly #users = new ConnectionUsers(() => this.#closeNow());
  readonly #timeoutMs: number;
  readonly #log: Logger;
  #closed = false;

  constructor(transport: McpTransport, options: McpConnectionOptions) {
    this.#t = transport;
    this.transport = transport.kind;
    this.#log = options.log;
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#client = new Client(options.clientInfo ?? MCPRE_CLIENT_INFO, {
      capabilities: options.capabilities ?? {},
      jsonSchemaValidator: passThroughValidator,
    });
    // Every notification the Client has no handler for (list_changed, logging outside a request, resources/updated):
    // to our listeners, which decide what to act on and what to log and drop.
    this.#client.fallbackNotificationHandler = async (n) => {
      this.#users.emit({ type: 'notification', method: n.method, params: n.params });
    };
    // Server-to-client requests (sampling, elicitation, roots): answered by the caller whose request they belong to,
    // or, arriving outside any request, by whoever the owner says; refused otherwise (the SDK answers ping itself).
    const unrelated = options.onUnrelatedServerRequest;
    this.#client.fallbackRequestHandler = async (request, extra) => {
      const related = this.#t.hooksForServerRequest(extra.requestId);
      const handler = related ? related.onServerRequest : unrelated;
      if (!handler) {
        throw new McpError(
          ErrorCode.MethodNotFound,
          `mcpre does not answer ${request.method} outside a relayed request`,
        );
      }
      return handler({ method: request.method, params: request.params }, extra.signal) as never;
    };
    this.#client.onerror = (err) => this.#log.debug({ err: err.message }, 'MCP client error');
    transport.onConnectionEvent = (event) => this.#users.emit(event);
  }

  async initialize(signal: AbortSignal): Promise<SessionInfo> {
    try {
      await this.#client.connect(this.#t, { signal, timeout: this.#timeoutMs });
    } catch (err) {
      throw initializeFailure(err);
    }
    const capabilities = this.#client.getServerCapabilities() ?? {};
    this.info = {
      protocolVersion: this.#t.protocolVersion ?? 'unknown',
      transport: this.#t.kind,
      sessionId: this.#t.sessionId,
      serverInfo: this.#client.getServerVersion() ?? { name: 'unknown', version: 'unknown' },
      capabilities,
      instructions: this.#client.getInstructions(),
    };
    return this.info;
  }

  list<K extends ListKind>(kind: K, signal: AbortSignal): Promise<BackendLists[K]> {
    return collectPages(kind, (method, params) =>
      this.#client.request({ method, params } as never, ResultSchema, { signal, timeout: this.#timeoutMs }).then(
        (result) => result as Record<string, unknown>,
        (err: unknown) => {
          throw requestFailure(err, method);
        },
      ),
    );
  }

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: RequestOptions = {},
  ): Promise<{ result: Record<string, unknown>; report: RequestReport }> {
    const report: RequestReport = {};
    return this.#users.request(async () => {
      this.#t.bindNextRequest({
        onLog: options.onLog,
        onServerRequest: options.onServerRequest,
        onStatus: (status) => (report.httpStatus = status),
      });
      try {
        const result = await this.#client.request({ method, params } as never, ResultSchema, {
          signal: options.signal,
          timeout: options.timeoutMs ?? this.#timeoutMs,
          onprogress: options.onProgress,
          resetTimeoutOnProgress: options.onProgress !== undefined,
        });
        return { result: result as Record<string, unknown>, report };
      } catch (err) {
        throw requestFailure(err, method, report.httpStatus);
      } finally {
        // Should the request have failed before reaching the transport, its hooks must not leak onto the next one.
        this.#t.bindNextRequest(undefined);
      }
    });
  }

  /**
   * tools/call past the SDK's Client where the transport can (transports/raw-calls.ts), the result's JSON text kept for
   * the gateway to relay as it came (transports/raw-json.ts); with progress asked for, or without, request().
   */
  callToolRaw(params: Record<string, unknown>, options: RequestOptions = {}) {
    const raw = this.#t.raw;
    if (!raw || options.onProgress) return this.request('tools/call', params, options);
    const report: RequestReport = {};
    const { onLog, onServerRequest, signal } = options;
    const hooks = { onLog, onServerRequest, onStatus: (status: number) => (report.httpStatus = status) };
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return this.#users.request(() =>
      raw.call('tools/call', params, { hooks, signal, timeoutMs }).then(
        (result) => ({ result: result as Record<string, unknown>, report }),
        (err: unknown) => {
          throw requestFailure(err, 'tools/call', report.httpStatus);
        },
      ),
    );
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
  const version = /protocol version is not supported: (.+)$/.exec(message)?.[1];
  if (version) {
    return new BackendError({
      kind: 'unsupportedProtocol',
      retryable: false,
      supportedVersions: [version],
      message: `the server answered initialize with protocol version ${version}; mcpre speaks ${spokenList()}`,
    });
  }
  if (err instanceof Error && err.name === 'ZodError') {
    return protocolError(`initialize: the server's InitializeResult is malformed`);
  }
  return new BackendError({ kind: 'network', retryable: true, message: `initialize: ${message}` }, { cause: err });
}

/** A request failure: ours (BackendError) and the server's JSON-RPC errors (McpError) pass through unchanged. */
function requestFailure(err: unknown, method: string, _status?: number): unknown {
  if (err instanceof BackendError || err instanceof McpError) return err;
  if (err instanceof Error && err.name === 'ZodError') return protocolError(`${method}: malformed result`);
  return err;
}
