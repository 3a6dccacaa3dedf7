// The gateway's HTTP front: `/mcp` (Streamable HTTP), `/healthz`, `/readyz`, `/metrics`. Everything that can be
// refused without MCP (wrong Host or Origin, no or bad credentials, oversized or unparsable body, unknown session) is
// refused here with the status and JSON-RPC error the MCP transport spec gives, before any session is touched.
// `/readyz` answers everyone with its status code (the kubelet needs no token); the detail (backends and why they are
// not ready) only callers the incoming auth accepts, so with OIDC an anonymous caller gets counts.
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Logger } from 'pino';
import { knownSecrets } from '../actors/mcp/redactor.ts';
import { ErrorCode } from '../api/mcp-errors.ts';
import { listenOn } from '../runtime/listen.ts';
import { createServer } from '../runtime/node-http.ts';
import { tracing } from '../runtime/tracing/tracing.ts';
import { BodyTooLargeError, checkHostAndOrigin, type OriginPolicy, readBody } from './http-guards.ts';
import type { Authenticator, AuthOutcome } from './incoming-auth.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { ModernEndpoint } from './modern/endpoint.ts';
import { isModernRequest } from './modern/request.ts';
import { RequestTrace } from './request-trace.ts';
import { sessionQuotaKey } from './session-quota-key.ts';
import type { SessionHandler } from './sessions/handler.ts';
import { containsInitialize } from './sessions/messages.ts';
import { SessionStoreUnavailableError } from './sessions/store-unavailable.ts';

export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown> & { backends?: ReadonlyArray<{ state: string }> };
}

export interface GatewayHttpOptions {
  /** Serves 2025-era sessions. */
  sessions: Pick<SessionHandler, 'handle' | 'initialize'>;
  /** Serves 2026-07-28 requests: stateless, next to the 2025-era sessions. */
  modern: Pick<ModernEndpoint, 'handle'>;
  authenticate: Authenticator;
  originPolicy: OriginPolicy;
  maxRequestBodyBytes: number;
  readiness: () => Readiness;
  /** Who may read the /readyz detail (default: `authenticate`); pass one without side effects on sessions. */
  readinessDetailAuth?: Authenticator;
  metrics: GatewayMetrics;
  logger: Logger;
  /** More routes (the /debug/actors live view); returns true when it answered. Behind the Host/Origin checks. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export function createGatewayHttpServer(opts: GatewayHttpOptions): HttpServer {
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err) => {
      if (err instanceof SessionStoreUnavailableError) {
        opts.logger.warn({ reason: err.reason, path: req.url }, 'request refused: the session store is unavailable');
        if (!res.headersSent)
          jsonRpcError(res, 503, -32000, `Service unavailable: ${err.message}`, { 'retry-after': '5' });
        else res.destroy();
        return;
      }
      opts.logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'request failed');
      if (!res.headersSent) jsonRpcError(res, 500, ErrorCode.InternalError, 'Internal error');
      else res.destroy();
    });
  });
  // Slow-loris bounds: a client gets this long to send headers and the whole request; SSE responses are unaffected.
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: GatewayHttpOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/healthz':
      return text(res, 200, 'ok\n');
    case '/readyz':
      return readyz(req, res, opts);
    case '/metrics': {
      const body = await opts.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': opts.metrics.registry.contentType });
      res.end(body);
      return;
    }
    case '/mcp':
      return handleMcp(req, res, opts);
    default: {
      if (opts.extraRoutes) {
        const guard = checkHostAndOrigin(req, opts.originPolicy);
        if (!guard.ok) return text(res, guard.status, `${guard.message}\n`);
        if (opts.extraRoutes(req, res)) return;
      }
      return text(res, 404, 'not found: the MCP endpoint is /mcp\n');
    }
  }
}

type Reject = (status: number, reason: string, code: number, message: string, headers?: Record<string, string>) => void;

async function handleMcp(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, opts: GatewayHttpOptions) {
  // With tracing on, the request's server span (request-trace.ts); off, nothing is made and nothing is timed.
  const trace = tracing.on ? new RequestTrace(req, res) : undefined;
  const reject: Reject = (status, reason, code, message, headers) => {
    opts.metrics.httpRejections.inc({ reason });
    jsonRpcError(res, status, code, message, headers);
  };

  const guard = checkHostAndOrigin(req, opts.originPolicy);
  if (!guard.ok) return reject(guard.status, guard.reason, -32000, guard.message);

  const method = req.method ?? 'GET';
  if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
    return reject(405, 'method', -32000, `Method not allowed: ${method}`, { allow: 'GET, POST, DELETE' });
  }

  const auth = trace ? await trace.authenticate(() => opts.authenticate(req)) : await opts.authenticate(req);
  if (!auth.ok) {
    const challenge = `Bearer realm="mcpre", error="${auth.error}", error_description="${auth.description.replace(/["\\]/g, '')}"`;
    return reject(
      auth.status,
      'auth',
      -32000,
      `Unauthorized: ${auth.description}`,
      auth.status === 401 ? { 'www-authenticate': challenge } : {},
    );
  }
  req.auth = auth.auth;

  let body: unknown;
  if (method === 'POST') {
    let raw: Buffer;
    try {
      raw = await readBody(req, opts.maxRequestBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        // Stop reading: the rest of an oversized body is not worth the bandwidth. The socket closes after the answer.
        res.once('finish', () => req.destroy());
        return reject(413, 'body-too-large', -32000, `Payload too large: the limit is ${err.limit} bytes`, {
          connection: 'close',
        });
      }
      throw err;
    }
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reject(400, 'parse', ErrorCode.ParseError, 'Parse error: the body is not valid JSON');
    }
  }

  if (trace) return trace.run(body, () => dispatchMcp(req, res, opts, auth, body, reject));
  return dispatchMcp(req, res, opts, auth, body, reject);
}

/** A request that passed every check, to the stateless 2026-07-28 endpoint or to its 2025-era session. */
async function dispatchMcp(
  req: IncomingMessage,
  res: ServerResponse,
  opts: GatewayHttpOptions,
  auth: Extract<AuthOutcome, { ok: true }>,
  body: unknown,
  reject: Reject,
) {
  const method = req.method ?? 'GET';
  // A request that claims a 2026-07-28 revision stands alone: any session id on it is ignored, as the spec says.
  if (isModernRequest(req.headers, body)) return opts.modern.handle(req, res, body);

  const sessionId = req.headers['mcp-session-id'];
  if (typeof sessionId === 'string' && sessionId !== '') {
    const served = await opts.sessions.handle(sessionId, auth.subject, req, res, body);
    if (served === 'unknown') return reject(404, 'session', -32001, 'Session not found');
    return;
  }

  if (method === 'POST' && containsInitialize(body)) {
    const client = sessionQuotaKey(req, { subject: auth.subject, token: auth.auth.token });
    const refused = await opts.sessions.initialize(auth.subject, client, req, res, body);
    if (refused) return reject(refused.status, refused.reason, -32000, refused.message, { 'retry-after': '5' });
    return;
  }
  return reject(400, 'no-session', -32000, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
}

async function readyz(req: IncomingMessage, res: ServerResponse, opts: GatewayHttpOptions): Promise<void> {
  const r = opts.readiness();
  const status = r.ready ? 200 : 503;
  const auth = await (opts.readinessDetailAuth ?? opts.authenticate)(req);
  if (!auth.ok) {
    const backends = r.detail.backends ?? [];
    return json(res, status, {
      ready: r.ready,
      backends: { total: backends.length, ready: backends.filter((b) => b.state === 'ready').length },
      detail: 'send a valid bearer token to see why',
    });
  }
  // Reasons are redacted where they are made; this is the second line of defence for text nobody expected.
  return json(res, status, knownSecrets.redactDeep({ ready: r.ready, ...r.detail }));
}

function jsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
) {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

function text(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/** Binds the server; a failed bind rejects with a ListenError naming the port (src/runtime/listen.ts). */
export async function listen(server: HttpServer, port: number, host: string): Promise<URL> {
  await listenOn(server, port, host);
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return new URL(`http://${hostPart}:${addr.port}/mcp`);
}
