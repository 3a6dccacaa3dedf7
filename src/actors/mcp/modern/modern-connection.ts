// A backend connection in the MCP 2026-07-28 era: stateless Streamable HTTP. There is no handshake (`initialize` is
// `server/discover`, which only describes the server), no session id (so no session to lose and no 404 handling),
// no GET stream (list changes come on a `subscriptions/listen` response stream), and every request carries the
// per-request envelope (`_meta` and the mirrored headers, see envelope.ts). Each request is its own exchange, so the
// JSON-RPC correlation is the HTTP exchange itself; cancelling a request closes its stream, as the revision says.
import type { ClientCapabilities, Implementation, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { ErrorCode, McpError } from '../../../api/mcp-errors.ts';
import type { ActorClock } from '../clock.ts';
import { ConnectionUsers } from '../connection-users.ts';
import { BackendError, httpError, networkError, protocolError } from '../errors.ts';
import { isNotification } from '../jsonrpc.ts';
import { collectPages } from '../list-pages.ts';
import type {
  BackendConnection,
  BackendLists,
  ConnectionEvent,
  EraDecision,
  ListKind,
  NotificationStreamOptions,
  NotificationStreamOutcome,
  RequestOptions,
  RequestReport,
  SessionInfo,
} from '../protocol.ts';
import { classifyDiscover } from './classify.ts';
import { type Envelope, UNSUPPORTED_PROTOCOL_VERSION, withEnvelope } from './envelope.ts';
import { type ExchangeResult, type ExchangeTarget, exchange } from './exchange.ts';
import { paramHeaders, type ToolSchema } from './param-headers.ts';

export interface ModernConnectionOptions {
  target: ExchangeTarget;
  clock: ActorClock;
  log: Logger;
  era: EraDecision & { version: string };
  clientInfo: Implementation;
  capabilities: ClientCapabilities;
  requestTimeoutMs: number;
  /** The 2025-era revisions we speak, for telling a server that changed era from one that speaks nothing of ours. */
  legacyVersions: readonly string[];
  /** The probe's DiscoverResult: the first `initialize` answers with it instead of asking the server again. */
  discovered?: SessionInfo;
}

/** The backend refused the revision this connection speaks: the machine forgets the era and probes again. */
export function eraMismatchError(message: string, supported?: string[]): BackendError {
  return new BackendError({ kind: 'unsupportedProtocol', retryable: false, message, supportedVersions: supported });
}

const LIST_CHANGE_FILTER = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
} as const;

export class ModernConnection implements BackendConnection {
  readonly transport = 'streamable-http' as const;
  readonly era: EraDecision;
  info: SessionInfo | undefined;
  readonly #o: ModernConnectionOptions;
  readonly #envelope: Envelope;
  readonly #abort = new AbortController();
  readonly #users = new ConnectionUsers(() => this.#closeNow());
  #discovered: SessionInfo | undefined;
  /** The tools of the last tools/list, by name: a tools/call mirrors their `x-mcp-header` arguments into headers. */
  #tools = new Map<string, ToolSchema>();
  #nextId = 0;

  constructor(options: ModernConnectionOptions) {
    this.#o = options;
    this.era = options.era;
    this.#discovered = options.discovered;
    this.#envelope = {
      protocolVersion: options.era.version,
      clientCapabilities: options.capabilities,
      clientInfo: options.clientInfo,
    };
  }

  async initialize(signal: AbortSignal): Promise<SessionInfo> {
    const discovered = this.#discovered;
    this.#discovered = undefined;
    if (discovered) {
      this.info = discovered;
      return discovered;
    }
    const result = await this.#exchange('server/discover', undefined, AbortSignal.any([signal, this.#abort.signal]));
    const { decision, info } = classifyDiscover(result, this.#o.legacyVersions);
    if (decision.era !== 'modern' || !info || info.protocolVersion !== this.#o.era.version) {
      throw eraMismatchError(`the backend no longer speaks ${this.#o.era.version}: ${decision.reason}`);
    }
    this.info = info;
    return info;
  }

  async list<K extends ListKind>(kind: K, signal: AbortSignal): Promise<BackendLists[K]> {
    const items = await collectPages(
      kind,
      async (method, params) => (await this.request(method, params, { signal })).result,
    );
    if (kind === 'tools') {
      this.#tools = new Map((items as BackendLists['tools']).map((tool) => [tool.name, tool as ToolSchema]));
    }
    return items;
  }

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: RequestOptions = {},
  ): Promise<{ result: Record<string, unknown>; report: RequestReport }> {
    const report: RequestReport = {};
    const id = ++this.#nextId;
    const progressToken = options.onProgress ? `mcpre-${id}` : undefined;
    const stop = new AbortController();
    const signals = [stop.signal, this.#abort.signal, ...(options.signal ? [options.signal] : [])];
    const timeoutMs = options.timeoutMs ?? this.#o.requestTimeoutMs;
    let timedOut = false;
    let timer: unknown;
    const arm = () => {
      this.#o.clock.clearTimeout(timer);
      timer = this.#o.clock.setTimeout(() => {
        timedOut = true;
        stop.abort();
      }, timeoutMs);
    };
    arm();
    return this.#users.request(async () => {
      try {
        const enveloped = withEnvelope(params, {
          ...this.#envelope,
          clientCapabilities: options.clientCapabilities ?? this.#envelope.clientCapabilities,
        });
        if (progressToken) (enveloped._meta as Record<string, unknown>).progressToken = progressToken;
        const headers = method === 'tools/call' ? this.#paramHeaders(params) : undefined;
        const result = await this.#exchange(method, enveloped, AbortSignal.any(signals), headers, (message) => {
          if (!isNotification(message)) return;
          const p = message.params as Record<string, unknown> | undefined;
          if (message.method === 'notifications/progress' && progressToken && p?.progressToken === progressToken) {
            arm(); // like the SDK's resetTimeoutOnProgress: a request that reports progress is alive
            options.onProgress?.(p as never);
          } else if (message.method === 'notifications/message') {
            options.onLog?.(p as never);
          }
        });
        report.httpStatus = result.status;
        return { result: answerOf(result, method), report };
      } catch (err) {
        if (timedOut) throw new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: timeoutMs });
        if (options.signal?.aborted) throw options.signal.reason ?? err;
        throw err;
      } finally {
        this.#o.clock.clearTimeout(timer);
      }
    });
  }

  /** One `subscriptions/listen` stream, opted in to the list changes the server advertised. */
  async openNotificationStream(options: NotificationStreamOptions): Promise<NotificationStreamOutcome> {
    const capabilities = this.info?.capabilities ?? {};
    const notifications: Record<string, boolean> = {};
    for (const [kind, field] of Object.entries(LIST_CHANGE_FILTER)) {
      if (capabilities[kind as keyof typeof LIST_CHANGE_FILTER]?.listChanged === true) notifications[field] = true;
    }
    if (Object.keys(notifications).length === 0) {
      return { kind: 'unsupported', reason: 'the server advertises no list changes to listen for' };
    }
    const signal = AbortSignal.any([options.signal, this.#abort.signal]);
    const result = await this.#exchange(
      'subscriptions/listen',
      withEnvelope({ notifications }, this.#envelope),
      signal,
      undefined,
      (message) => {
        if (!isNotification(message)) return;
        if (message.method === 'notifications/subscriptions/acknowledged') return options.handlers.onOpen();
        options.handlers.onMessage();
        this.#users.emit({ type: 'notification', method: message.method, params: message.params });
      },
    );
    const { status, answer } = result;
    if (answer && 'error' in answer) {
      if (answer.error.code === ErrorCode.MethodNotFound) {
        return { kind: 'unsupported', reason: 'the server does not implement subscriptions/listen' };
      }
      if (answer.error.code === UNSUPPORTED_PROTOCOL_VERSION) throw eraMismatchError(answer.error.message);
      throw protocolError(`subscriptions/listen: JSON-RPC error ${answer.error.code}: ${answer.error.message}`);
    }
    if (status < 200 || status >= 300) throw httpError(status, 'POST subscriptions/listen', undefined);
    if (answer) return { kind: 'ended', detail: 'the server ended the subscription' };
    return { kind: 'ended', detail: result.ended };
  }

  onEvent(listener: (event: ConnectionEvent) => void): () => void {
    return this.#users.onEvent(listener);
  }

  /** Close locally; callers' requests in flight finish first. */
  close(): Promise<void> {
    return this.#users.close();
  }

  /** 2026-07-28 has no session to end on the server: closing aborts whatever is still open. */
  async terminate(): Promise<void> {
    this.#closeNow();
  }

  #paramHeaders(params: Record<string, unknown> | undefined): Record<string, string> {
    const name = params?.name;
    return paramHeaders(typeof name === 'string' ? this.#tools.get(name) : undefined, params?.arguments);
  }

  #closeNow(): void {
    this.#users.forget();
    this.#abort.abort();
  }

  #exchange(
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
    headers?: Record<string, string>,
    onMessage?: (message: JSONRPCMessage) => void,
  ): Promise<ExchangeResult> {
    if (this.#abort.signal.aborted) {
      return Promise.reject(new BackendError({ kind: 'aborted', retryable: true, message: 'connection closed' }));
    }
    const request = {
      jsonrpc: '2.0' as const,
      id: ++this.#nextId,
      method,
      params: params ?? withEnvelope(undefined, this.#envelope),
    };
    return exchange(this.#o.target, request, this.#o.era.version, signal, onMessage, headers);
  }
}

/** A request's answer as the caller sees it: the result, the server's JSON-RPC error, or why there is none. */
function answerOf(result: ExchangeResult, method: string): Record<string, unknown> {
  const { status, answer } = result;
  if (answer && 'result' in answer) return answer.result as Record<string, unknown>;
  if (answer && 'error' in answer) {
    const { code, message, data } = answer.error;
    if (code === UNSUPPORTED_PROTOCOL_VERSION) {
      const supported = (data as { supported?: unknown } | undefined)?.supported;
      throw eraMismatchError(
        `${method}: the backend refused the protocol revision (${message})`,
        Array.isArray(supported) ? supported.map(String) : undefined,
      );
    }
    throw new McpError(code, message, data);
  }
  if (status < 200 || status >= 300) throw httpError(status, `POST ${method}`, undefined);
  // 2026-07-28 streams are not resumable: a stream that ended before the answer lost the request.
  throw networkError(new Error(result.ended ?? 'no answer'), `POST ${method}`);
}
