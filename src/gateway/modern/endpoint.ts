// The gateway's 2026-07-28 endpoint: every request stands alone (no session, no initialize), carries its revision and
// client capabilities in `_meta`, and is answered from the same ServerDefinition and Router as 2025-era sessions.
// Nothing is built per request beyond the answer itself: the body was parsed once by the HTTP front, it is checked
// here by hand (no schema pass), and the router validates nothing again.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { HEADER_MISMATCH, META_SERVER_INFO } from '../../actors/mcp/modern/envelope.ts';
import { MODERN_VERSIONS } from '../../machines/backend-session-era.ts';
import { RequestError, withoutMcpPrefix } from '../forward-errors.ts';
import type { Extra, SessionLogState } from '../router.ts';
import type { ListMethod, ServerDefinition } from '../server-definition.ts';
import { ModernExchange, writeJson } from './exchange.ts';
import type { ListenStreams, SubscriptionFilter } from './listen.ts';
import { paramHeaderMismatch } from './param-headers.ts';
import { type ModernRequest, parseModernRequest, withoutEnvelope } from './request.ts';

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

/** The 2025 code for "resource not found"; 2026-07-28 answers it as invalid params. */
const LEGACY_RESOURCE_NOT_FOUND = -32002;

type Result = Record<string, unknown>;

export interface ModernEndpointDeps {
  definition: ServerDefinition;
  listen: ListenStreams;
  logger: Logger;
}

export class ModernEndpoint {
  readonly #deps: ModernEndpointDeps;
  readonly #serverMeta: Result;

  constructor(deps: ModernEndpointDeps) {
    this.#deps = deps;
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
    const exchange = new ModernExchange(res);
    try {
      const result = await this.#dispatch(request, this.#extra(req, request, exchange));
      exchange.finish({ jsonrpc: '2.0', id: request.id, result: this.#complete(result) });
    } catch (err) {
      const error = jsonRpcError(err, request.method);
      if (error.status === 500) this.#deps.logger.error({ err: String(err), method: request.method }, 'request failed');
      exchange.finish({ jsonrpc: '2.0', id: request.id, error: error.error }, error.status);
    }
  }

  async #dispatch(request: ModernRequest, extra: Extra): Promise<Result> {
    const { definition } = this.#deps;
    const { router } = definition;
    const { method } = request;
    const params = withoutEnvelope(request.params);
    const log: SessionLogState = { level: request.logLevel, clientCapabilities: () => request.clientCapabilities };
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
      case 'completion/complete': {
        const ref = params.ref as { type?: unknown } | undefined;
        if (!ref || typeof ref !== 'object' || typeof ref.type !== 'string') {
          throw new RequestError(ErrorCode.InvalidParams, 'Invalid params: ref must be an object with a type');
        }
        return router.complete(params as Parameters<typeof router.complete>[0], extra, log);
      }
      default:
        throw new MethodNotFound(method);
    }
  }

  /** What the router needs of a request: who calls, its cancellation, and where related notifications go. */
  #extra(req: IncomingMessage & { auth?: AuthInfo }, request: ModernRequest, exchange: ModernExchange): Extra {
    return {
      signal: exchange.signal,
      sessionId: undefined,
      authInfo: req.auth,
      requestId: request.id,
      _meta: request.params._meta,
      sendNotification: async (notification: { method: string }) => {
        // 2026-07-28: log lines only to a request that named a level.
        if (notification.method === 'notifications/message' && request.logLevel === undefined) return;
        exchange.notify({ jsonrpc: '2.0', ...notification });
      },
      sendRequest: () =>
        Promise.reject(
          new RequestError(
            ErrorCode.MethodNotFound,
            'a 2026-07-28 client takes server requests only as input_required results, which the gateway does not ' +
              'make from 2025-era server requests',
          ),
        ),
    } as unknown as Extra;
  }

  /** Every 2026 result says it is complete and names the server (unless it is a backend's input_required one). */
  #complete(result: Result): Result {
    const meta = result._meta as Result | undefined;
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

function named<K extends 'name' | 'uri'>(params: Result, field: K): Result & Record<K, string> {
  if (typeof params[field] !== 'string') {
    throw new RequestError(ErrorCode.InvalidParams, `Invalid params: ${field} must be a string`);
  }
  return params as Result & Record<K, string>;
}

/** The JSON-RPC error for a failed request, and the HTTP status (404 for an unknown method, as the spec says). */
function jsonRpcError(err: unknown, method: string): { status: number; error: Result } {
  if (err instanceof MethodNotFound) {
    return { status: 404, error: { code: ErrorCode.MethodNotFound, message: err.message } };
  }
  if (err instanceof RequestError || err instanceof McpError) {
    const code =
      err.code === LEGACY_RESOURCE_NOT_FOUND && method === 'resources/read' ? ErrorCode.InvalidParams : err.code;
    const message = err instanceof McpError ? withoutMcpPrefix(err.message) : err.message;
    return { status: 200, error: { code, message, ...(err.data !== undefined ? { data: err.data } : {}) } };
  }
  return { status: 500, error: { code: ErrorCode.InternalError, message: 'Internal error' } };
}
