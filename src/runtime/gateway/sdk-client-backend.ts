// A Backend over the SDK Client, the gateway's first adapter, kept as the alternative to the backend-session actor
// (MCPRE_GATEWAY_SESSIONS=sdk); like the actor path it relays sampling and elicitation. It does
// the minimum: connect with capped exponential backoff, fetch every advertised list, re-fetch a list on
// `list_changed` only when the backend advertised `listChanged`, and on a 404 for a request that carried a session id,
// re-initialize once (shared by all callers) and retry that request once. The GET stream's resumption and the
// circuit breaker as the RFC specifies them are the session actor's (session-actor-backend.ts).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ResultSchema,
  type ServerCapabilities,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import {
  type Backend,
  type BackendInfo,
  type BackendLists,
  BackendRequestError,
  type BackendRequestOptions,
  type BackendRequestResult,
  type BackendState,
  emptyLists,
} from './backend.ts';
import { fetchLists, type ListKind, listFetchers } from './list-fetch.ts';
import type { OutgoingFetch } from './outgoing-fetch.ts';
import { type BackendRequestContext, backendRequestContext } from './request-context.ts';

export interface SdkClientBackendOptions {
  info: BackendInfo;
  transport: 'streamable-http' | 'sse';
  http: OutgoingFetch;
  logger: Logger;
  /** First retry wait; doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
}

const clientInfo = { name: 'mcpre-gateway', version: '0.1.0' };

export class SdkClientBackend implements Backend {
  readonly info: BackendInfo;
  state: BackendState = 'connecting';
  reason: string | undefined = 'not started';
  lists: BackendLists = emptyLists();
  capabilities: ServerCapabilities | undefined;

  readonly #opts: SdkClientBackendOptions;
  readonly #listeners = new Set<() => void>();
  readonly #updateListeners = new Set<(uri: string) => void>();
  #client: Client | undefined;
  #started: Promise<void> | undefined;
  #reinitializing: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;
  /** Bumped on every new session, so a late list fetch of an old session is thrown away. */
  #generation = 0;
  readonly #refetching = new Map<ListKind, { dirty: boolean }>();
  readonly #inFlight = new Map<Client, number>();
  readonly #superseded = new Set<Client>();

  constructor(opts: SdkClientBackendOptions) {
    this.#opts = opts;
    this.info = opts.info;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onResourceUpdated(listener: (uri: string) => void): () => void {
    this.#updateListeners.add(listener);
    return () => this.#updateListeners.delete(listener);
  }

  start(): Promise<void> {
    this.#started ??= this.#connect();
    return this.#started;
  }

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts: BackendRequestOptions = {},
  ): Promise<BackendRequestResult<Record<string, unknown>>> {
    for (let attempt = 0; ; attempt++) {
      // A re-initialization in progress: wait for it rather than fail a call the backend has not seen.
      if (this.#reinitializing) await this.#reinitializing;
      const client = this.#client;
      if (this.state !== 'ready' || !client) {
        throw new BackendRequestError(
          `backend "${this.info.name}" is not available (${this.state}: ${this.reason})`,
          {},
        );
      }
      const ctx: BackendRequestContext = { onLog: opts.onLog, onServerRequest: opts.onServerRequest };
      this.#inFlight.set(client, (this.#inFlight.get(client) ?? 0) + 1);
      try {
        const result = await backendRequestContext.run(ctx, () =>
          client.request({ method, params } as never, ResultSchema, {
            signal: opts.signal,
            onprogress: opts.onProgress,
            timeout: opts.timeoutMs ?? this.#opts.requestTimeoutMs ?? 60_000,
            resetTimeoutOnProgress: true,
          }),
        );
        return { result: result as Record<string, unknown>, report: { httpStatus: ctx.httpStatus } };
      } catch (err) {
        // A 404 on a request that carried our session id: the backend lost the session and never saw the request,
        // so re-initializing and retrying once is safe.
        if (attempt === 0 && isSessionLost(err) && client.transport?.sessionId !== undefined) {
          await this.#reinitialize(client);
          continue;
        }
        throw toBackendError(err, ctx.httpStatus);
      } finally {
        this.#settled(client);
      }
    }
  }

  /** A superseded client is closed once its last request settled, so those requests get their own answers. */
  #settled(client: Client): void {
    const left = (this.#inFlight.get(client) ?? 1) - 1;
    if (left > 0) {
      this.#inFlight.set(client, left);
      return;
    }
    this.#inFlight.delete(client);
    if (this.#superseded.delete(client)) void client.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    this.#setState('closed', 'closed by the gateway', emptyLists());
    if (client) {
      const transport = client.transport;
      if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
    }
    await this.#opts.http.close().catch(() => {});
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const generation = ++this.#generation;
    const client = this.#newClient(generation);
    try {
      await client.connect(this.#newTransport());
      const capabilities = client.getServerCapabilities();
      const lists = await fetchLists(client, capabilities);
      if (this.#closed || generation !== this.#generation) {
        await client.close();
        return;
      }
      this.#client = client;
      this.capabilities = capabilities;
      this.#failures = 0;
      this.#setState('ready', undefined, lists);
    } catch (err) {
      await client.close().catch(() => {});
      if (this.#closed) return;
      this.#failures++;
      const reason = `connect failed: ${describe(err)}`;
      this.#setState(this.#failures >= 5 ? 'unavailable' : 'backoff', reason, emptyLists());
      this.#opts.logger.warn({ failures: this.#failures, reason }, 'backend connect failed');
      this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    const initial = this.#opts.initialBackoffMs ?? 1000;
    const max = this.#opts.maxBackoffMs ?? 30_000;
    // After five failures, probe once a minute (the RFC's half-open interval) instead of at the backoff cap.
    const wait = this.#failures >= 5 ? Math.max(max, 60_000) : Math.min(max, initial * 2 ** (this.#failures - 1));
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#connect(), wait);
    this.#retryTimer.unref();
  }

  /** One re-initialization per lost session, whoever noticed first; the others wait for it. */
  #reinitialize(lost: Client): Promise<void> {
    if (this.#client !== lost) return this.#reinitializing ?? Promise.resolve();
    this.#reinitializing ??= (async () => {
      this.#client = undefined;
      this.#setState('reinitializing', 'backend dropped the session (HTTP 404)', this.lists);
      // Requests still in flight on the lost session each get their own 404 and retry once; close it after them.
      if (this.#inFlight.get(lost)) this.#superseded.add(lost);
      else await lost.close().catch(() => {});
      await this.#connect();
    })().finally(() => {
      this.#reinitializing = undefined;
    });
    return this.#reinitializing;
  }

  #newClient(generation: number): Client {
    // Sampling and elicitation are relayed to the client whose request the backend is serving (see request()), so the
    // gateway offers them to every backend; a client that lacks the capability makes the relayed request fail.
    const client = new Client(clientInfo, { capabilities: { sampling: {}, elicitation: { form: {}, url: {} } } });
    const relay = async (request: { method: string; params?: Record<string, unknown> }) => {
      const ctx = backendRequestContext.getStore();
      if (!ctx?.onServerRequest) {
        throw new McpError(
          ErrorCode.InvalidRequest,
          `${request.method} is relayed only while the gateway forwards a client request`,
        );
      }
      return ctx.onServerRequest({ method: request.method, params: request.params });
    };
    client.setRequestHandler(CreateMessageRequestSchema, relay as never);
    client.setRequestHandler(ElicitRequestSchema, relay as never);
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      if (generation !== this.#generation) return;
      for (const listener of this.#updateListeners) listener(n.params.uri);
    });
    const onListChanged = (kind: ListKind) => () => {
      if (generation !== this.#generation) return;
      if (this.capabilities?.[listFetchers[kind].capability]?.listChanged !== true) {
        this.#opts.logger.debug({ kind }, 'list_changed for a capability without listChanged: ignored');
        return;
      }
      void this.#refetch(kind, generation);
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, onListChanged('tools'));
    client.setNotificationHandler(PromptListChangedNotificationSchema, onListChanged('prompts'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      onListChanged('resources')();
      onListChanged('resourceTemplates')();
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      const ctx = backendRequestContext.getStore();
      if (ctx?.onLog) ctx.onLog(n.params);
      else this.#opts.logger.debug({ level: n.params.level }, 'backend log outside a request');
    });
    client.onerror = (err) => this.#opts.logger.debug({ err: describe(err) }, 'transport error');
    return client;
  }

  #newTransport(): Transport {
    const url = new URL(this.info.url);
    if (this.#opts.transport === 'sse') return new SSEClientTransport(url, { fetch: this.#opts.http.fetch });
    return new StreamableHTTPClientTransport(url, {
      fetch: this.#opts.http.fetch,
      reconnectionOptions: {
        initialReconnectionDelay: 1000,
        maxReconnectionDelay: 30_000,
        reconnectionDelayGrowFactor: 2,
        maxRetries: 5,
      },
    });
  }

  /** Re-fetch one list; a notification that arrives while fetching causes exactly one more fetch. */
  async #refetch(kind: ListKind, generation: number): Promise<void> {
    const running = this.#refetching.get(kind);
    if (running) {
      running.dirty = true;
      return;
    }
    const marker = { dirty: true };
    this.#refetching.set(kind, marker);
    try {
      while (marker.dirty && generation === this.#generation && this.#client) {
        marker.dirty = false;
        const items = await listFetchers[kind].fetch(this.#client);
        if (generation !== this.#generation) return;
        if (JSON.stringify(items) !== JSON.stringify(this.lists[kind])) {
          this.#setState(this.state, this.reason, { ...this.lists, [kind]: items });
        }
      }
    } catch (err) {
      this.#opts.logger.warn({ kind, err: describe(err) }, 'list re-fetch failed');
    } finally {
      this.#refetching.delete(kind);
    }
  }

  #setState(state: BackendState, reason: string | undefined, lists: BackendLists): void {
    this.state = state;
    this.reason = reason;
    this.lists = state === 'ready' || state === 'reinitializing' ? lists : emptyLists();
    for (const listener of this.#listeners) listener();
  }
}

function isSessionLost(err: unknown): boolean {
  return err instanceof StreamableHTTPError && err.code === 404;
}

function toBackendError(err: unknown, httpStatus: number | undefined): Error {
  if (err instanceof McpError) return err;
  if (err instanceof StreamableHTTPError) {
    return new BackendRequestError(describe(err), { httpStatus: err.code ?? httpStatus, cause: err });
  }
  return new BackendRequestError(describe(err), { httpStatus, cause: err });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
