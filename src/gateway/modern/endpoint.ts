// The gateway's 2026-07-28 endpoint: every request stands alone (no session, no initialize), carries its revision and
// client capabilities in `_meta`, and is answered from the same ServerDefinition and Router as 2025-era sessions.
// Nothing is built per request beyond the answer itself: the body was parsed once by the HTTP front, it is checked
// here by hand (no schema pass), and the router validates nothing again.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Logger } from 'pino';
import {
  HEADER_MISMATCH,
  META_SERVER_INFO,
  MISSING_REQUIRED_CLIENT_CAPABILITY,
} from '../../actors/mcp/modern/envelope.ts';
import { withFields } from '../../actors/mcp/transports/raw-json.ts';
import { ErrorCode, McpError } from '../../api/mcp-errors.ts';
import { MODERN_VERSIONS } from '../../machines/backend-session-era.ts';
import { Exchange, writeJson } from '../exchange.ts';
import { RequestError, withoutMcpPrefix } from '../forward-errors.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { completionParams, type Extra, identityOf, named, type SessionLogState } from '../router.ts';
import type { ListMethod, ServerDefinition } from '../server-definition.ts';
import type { ServerRequest } from '../server-requests.ts';
import type { ParkedCallOutcome, RenderedError, SessionBus } from '../sessions/store.ts';
import type { ListenStreams, SubscriptionFilter } from './listen.ts';
import { paramHeaderMismatch } from './param-headers.ts';
import { ParkedCallRelay } from './parked-call-relay.ts';
import { type ModernRequest, parseModernRequest, withoutEnvelope } from './request.ts';
import { STATE_PREFIX, SuspendableCall, SuspendedCalls } from './suspended-calls.ts';

/** Caching hints (2026-07-28 CacheableResult). */
export const CACHE_HINTS = {
  /** The gateway's identity and capabilities change only with a new gateway. */
  discoverTtlMs: 5 * 60_000,
  /**
   * Aggregated lists change whenever a backend's do, and the backends' own hints are not kept by their sessions:
   * immediately stale; `subscriptions/listen` tells clients of each change.
   */
  listTtlMs: 0,
} as const;

const LISTS: ReadonlySet<string> = new Set<ListMethod>([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
]);

/** The requests that may answer `input_required` (spec: basic/patterns/mrtr, "Supported Requests"). */
const SUSPENDABLE: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** The 2025 code for "resource not found"; 2026-07-28 answers it as invalid params. */
const LEGACY_RESOURCE_NOT_FOUND = -32002;

type Result = Record<string, unknown>;

export interface ModernEndpointDeps {
  definition: ServerDefinition;
  listen: ListenStreams;
  logger: Logger;
  /** Calls waiting for their client's answers to a 2025-era backend's server requests. */
  suspended?: SuspendedCalls;
  /** The session store's bus: retries of calls parked in other replicas go there (parked-call-relay.ts). */
  bus?: SessionBus;
  /** Where those relays are counted. */
  metrics?: GatewayMetrics;
}

export class ModernEndpoint {
  readonly #deps: ModernEndpointDeps;
  readonly #serverMeta: Result;
  readonly #suspended: SuspendedCalls;
  readonly #parked: ParkedCallRelay;

  constructor(deps: ModernEndpointDeps) {
    this.#deps = deps;
    this.#suspended = deps.suspended ?? new SuspendedCalls();
    this.#parked = new ParkedCallRelay({
      calls: this.#suspended,
      bus: deps.bus,
      logger: deps.logger,
      metrics: deps.metrics,
      render: (error, method) => this.#render(error, method),
    });
    this.#serverMeta = { [META_SERVER_INFO]: deps.definition.info };
  }

  async handle(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32000, message: 'Method not allowed: 2026-07-28 has no GET stream and no session to delete' },
        }),
      );
      return;
    }
    const parsed = parseModernRequest(req.headers, body);
    if (parsed.kind === 'notification') {
      res.writeHead(202).end();
      return;
    }
    if (parsed.kind === 'refused') {
      const { status, code, message, data } = parsed.refusal;
      return writeJson(res, status, { jsonrpc: '2.0', id: parsed.id, error: { code, message, data } });
    }
    const request = parsed.request;
    if (request.method === 'tools/call') {
      const mismatch = paramHeaderMismatch(
        this.#deps.definition.tool(String(request.params.name)),
        request.params.arguments,
        req.headers,
      );
      if (mismatch) {
        return writeJson(res, 400, {
          jsonrpc: '2.0',
          id: request.id,
          error: { code: HEADER_MISMATCH, message: `Header mismatch: ${mismatch}` },
        });
      }
    }
    if (request.method === 'subscriptions/listen') {
      const filter = (request.params.notifications ?? {}) as SubscriptionFilter;
      return this.#deps.listen.open(res, request.id, filter);
    }
    const exchange = new Exchange(res);
    if (SUSPENDABLE.has(request.method)) return this.#suspendable(req, request, exchange);
    try {
      this.#answer(exchange, request, {
        kind: 'result',
        result: await this.#dispatch(request, this.#extra(req, request, exchange)),
      });
    } catch (error) {
      this.#answer(exchange, request, { kind: 'error', error });
    }
  }

  /** Cancel the calls still waiting for their clients' answers (the gateway is shutting down). */
  close(): void {
    this.#parked.close();
    this.#suspended.closeAll();
  }

  /**
   * A call that may need its client's input: a new one, or the retry of one parked with a requestState minted by this
   * gateway, here or in another replica (parked-call-relay.ts). Either way the answer is its result, or the next
   * questions with a new requestState.
   */
  async #suspendable(req: IncomingMessage & { auth?: AuthInfo }, request: ModernRequest, exchange: Exchange) {
    const subject = identityOf({ authInfo: req.auth }).subject;
    // A requestState is good only for a retry of the same request: the same method on the same tool, prompt or URI.
    const round = {
      subject,
      method: request.method,
      target: `${request.method} ${String(request.params.name ?? request.params.uri)}`,
    };
    const state = request.params.requestState;
    const notify = (message: unknown) => exchange.notify(message);
    let outcome: ParkedCallOutcome;
    if (typeof state === 'string' && state.startsWith(STATE_PREFIX)) {
      const retry = { ...round, token: state, inputResponses: request.params.inputResponses };
      outcome = await this.#parked.resume(retry, exchange.signal, notify);
    } else {
      const call = new SuspendableCall();
      call.attach(exchange.signal, notify);
      const extra = this.#extra(req, request, exchange, call);
      call.start(() => this.#dispatch(request, extra));
      outcome = await this.#parked.settle(call, round);
    }
    this.#write(exchange, request, outcome);
  }

  #answer(
    exchange: Exchange,
    request: ModernRequest,
    step: { kind: 'result'; result: Result } | { kind: 'error'; error: unknown },
  ): void {
    this.#write(
      exchange,
      request,
      step.kind === 'result' ? step : { kind: 'error', ...this.#render(step.error, request.method) },
    );
  }

  #write(exchange: Exchange, request: ModernRequest, outcome: ParkedCallOutcome): void {
    if (outcome.kind === 'result') {
      exchange.finish({ jsonrpc: '2.0', id: request.id, result: this.#complete(outcome.result) });
    } else if (outcome.kind === 'error') {
      exchange.finish({ jsonrpc: '2.0', id: request.id, error: outcome.error }, outcome.status);
    } else {
      const { inputRequests, requestState } = outcome;
      const result = { resultType: 'input_required', inputRequests, requestState, _meta: this.#serverMeta };
      exchange.finish({ jsonrpc: '2.0', id: request.id, result });
    }
  }

  /** The JSON-RPC error a failed request gets; an unexpected failure is logged. */
  #render(err: unknown, method: string): RenderedError {
    const rendered = jsonRpcError(err, method);
    if (rendered.status === 500) this.#deps.logger.error({ err: String(err), method }, 'request failed');
    return rendered;
  }

  async #dispatch(request: ModernRequest, extra: Extra): Promise<Result> {
    const { definition } = this.#deps;
    const { router } = definition;
    const { method } = request;
    const params = withoutEnvelope(request.params);
    const log: SessionLogState = {
      level: request.logLevel,
      clientCapabilities: () => request.clientCapabilities,
      takesInputRequired: true,
    };
    const cacheScope = definition.listsVaryByCaller ? 'private' : 'public';
    if (LISTS.has(method)) {
      return { ...definition.list(method as ListMethod, extra), ttlMs: CACHE_HINTS.listTtlMs, cacheScope };
    }
    switch (method) {
      case 'server/discover':
        return {
          supportedVersions: [...MODERN_VERSIONS],
          capabilities: definition.capabilities,
          instructions: definition.instructions,
          ttlMs: CACHE_HINTS.discoverTtlMs,
          cacheScope: 'public',
        };
      case 'tools/call':
        return router.callTool(named(params, 'name'), extra, log);
      case 'prompts/get':
        return router.getPrompt(named(params, 'name'), extra, log);
      case 'resources/read': {
        const result = await router.readResource(named(params, 'uri'), extra, log);
        // A 2026 backend's hints pass through; a 2025 backend gives none, and content may be the caller's own.
        return { ttlMs: 0, cacheScope: 'private', ...result };
      }
      case 'completion/complete':
        return router.complete(completionParams(params), extra, log);
      default:
        throw new MethodNotFound(method);
    }
  }

  /**
   * What the router needs of a request: who calls, its cancellation, where related notifications go, and, for a call
   * that may be suspended, where its backend's server requests go.
   */
  #extra(
    req: IncomingMessage & { auth?: AuthInfo },
    request: ModernRequest,
    exchange: Exchange,
    call?: SuspendableCall,
  ): Extra {
    return {
      signal: call?.signal ?? exchange.signal,
      sessionId: undefined,
      authInfo: req.auth,
      requestId: request.id,
      _meta: request.params._meta,
      sendNotification: async (notification: { method: string }) => {
        // 2026-07-28: log lines only to a request that named a level.
        if (notification.method === 'notifications/message' && request.logLevel === undefined) return;
        const message = { jsonrpc: '2.0', ...notification };
        if (call) call.notify(message);
        else exchange.notify(message);
      },
      sendRequest: (serverRequest: ServerRequest, _schema: unknown, options?: { signal?: AbortSignal }) =>
        call
          ? call.ask(serverRequest, options?.signal ?? call.signal)
          : Promise.reject(
              new RequestError(
                ErrorCode.MethodNotFound,
                `a 2026-07-28 client takes server requests only as input_required results, which ${request.method} cannot carry`,
              ),
            ),
    } as unknown as Extra;
  }

  /** Every 2026 result says it is complete and names the server (unless it is a backend's input_required one). */
  #complete(result: Result): Result {
    const meta = result._meta as Result | undefined;
    // The usual relayed result has neither: its backend's text gets them appended (raw-json.ts), not re-serialised.
    if (meta === undefined && result.resultType === undefined)
      return withFields(result, { resultType: 'complete', _meta: this.#serverMeta }) as Result;
    return {
      ...result,
      resultType: result.resultType ?? 'complete',
      _meta: meta ? { ...meta, ...this.#serverMeta } : this.#serverMeta,
    };
  }
}

class MethodNotFound extends Error {
  constructor(method: string) {
    super(`Method not found: ${method} is not part of MCP 2026-07-28 at this gateway`);
  }
}

/**
 * The JSON-RPC error for a failed request, and the HTTP status the spec gives it: 404 for an unknown method, 400 for a
 * capability the client did not declare.
 */
function jsonRpcError(err: unknown, method: string): RenderedError {
  if (err instanceof MethodNotFound) {
    return { status: 404, error: { code: ErrorCode.MethodNotFound, message: err.message } };
  }
  if (err instanceof RequestError || err instanceof McpError) {
    const code =
      err.code === LEGACY_RESOURCE_NOT_FOUND && method === 'resources/read' ? ErrorCode.InvalidParams : err.code;
    const message = err instanceof McpError ? withoutMcpPrefix(err.message) : err.message;
    const status = code === MISSING_REQUIRED_CLIENT_CAPABILITY ? 400 : 200;
    return { status, error: { code, message, ...(err.data !== undefined ? { data: err.data } : {}) } };
  }
  return { status: 500, error: { code: ErrorCode.InternalError, message: 'Internal error' } };
}
