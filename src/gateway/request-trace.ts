// The gateway's server span: one per request on /mcp, in both protocol eras, named and described after the MCP
// semantic conventions (`{mcp.method.name} {target}`, mcp.*, gen_ai.*, jsonrpc.*, http.*). Its parent is the client's
// trace context: the `traceparent` header, else the request's `_meta` (2026-07-28 puts it there). The span starts
// when the request arrives, but its parent is known only once the body is read, so the span is made then with the
// arrival time, and the authentication that came before is recorded as its child with its own measured times.
// Used only when tracing is on (the HTTP front checks `tracing.on`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attributes, Context } from '@opentelemetry/api';
import { fingerprint } from '../actors/mcp/log.ts';
import {
  contextOf,
  extractContext,
  failSpan,
  hasTraceParent,
  type Span,
  startSpan,
  withSpan,
} from '../runtime/tracing/tracing.ts';

type Millis = number;
const now = (): Millis => performance.timeOrigin + performance.now();

export class RequestTrace {
  readonly #req: IncomingMessage;
  readonly #started = now();
  #span: Span | undefined;
  #context: Context | undefined;
  #auth: { start: Millis; end: Millis; outcome: string } | undefined;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.#req = req;
    res.once('close', () => this.#end(res));
  }

  /** The incoming authentication, timed, to become the server span's first child. */
  async authenticate<T extends { ok: boolean }>(run: () => Promise<T>): Promise<T> {
    const start = now();
    const result = await run();
    this.#auth = { start, end: now(), outcome: result.ok ? 'accepted' : 'refused' };
    return result;
  }

  /** Runs the request's MCP handling inside the server span, described from the parsed body. */
  run<T>(body: unknown, fn: () => T): T {
    const span = this.#open(body);
    return withSpan(span, fn, this.#context);
  }

  #open(body: unknown): Span {
    if (this.#span) return this.#span;
    const req = this.#req;
    const message = Array.isArray(body) ? undefined : (body as JsonRpcLike | undefined);
    const meta = message?.params?._meta;
    const carrier = hasTraceParent(req.headers) ? req.headers : hasTraceParent(meta) ? meta : undefined;
    this.#context = carrier ? extractContext(carrier as Record<string, unknown>) : undefined;
    const attributes = describe(req, body);
    const name = spanName(req, message);
    // Started at arrival: the span covers the checks, authentication and body read that came before.
    const span = startSpan(name, 'server', attributes, this.#context, this.#started);
    this.#span = span;
    const auth = this.#auth;
    if (auth) {
      const attributes = { 'mcpre.auth.outcome': auth.outcome };
      startSpan('authenticate', 'internal', attributes, contextOf(span, this.#context), auth.start).end(auth.end);
    }
    return span;
  }

  #end(res: ServerResponse): void {
    const span = this.#open(undefined);
    span.setAttribute('http.response.status_code', res.statusCode);
    const granted = res.getHeader('mcp-session-id');
    if (typeof granted === 'string') span.setAttribute('mcp.session.id', fingerprint(granted));
    if (res.statusCode >= 500) failSpan(span, String(res.statusCode));
    else if (!res.writableFinished) span.setAttribute('mcpre.response.aborted', true);
    span.end();
  }
}

interface JsonRpcLike {
  method?: unknown;
  id?: unknown;
  params?: { name?: unknown; uri?: unknown; _meta?: Record<string, unknown> };
}

function spanName(req: IncomingMessage, message: JsonRpcLike | undefined): string {
  const method = typeof message?.method === 'string' ? message.method : undefined;
  if (!method) return `${req.method ?? 'GET'} /mcp`;
  const target = targetOf(method, message?.params);
  return target ? `${method} ${target}` : method;
}

/** The low-cardinality target of the conventions' span name: the tool or prompt name (never a resource URI). */
function targetOf(method: string, params: JsonRpcLike['params']): string | undefined {
  if ((method === 'tools/call' || method === 'prompts/get') && typeof params?.name === 'string') return params.name;
  return undefined;
}

function describe(req: IncomingMessage, body: unknown): Attributes {
  const out: Attributes = {
    'http.request.method': req.method ?? 'GET',
    'url.path': '/mcp',
    'network.protocol.name': 'http',
    'network.transport': 'tcp',
  };
  const sessionId = req.headers['mcp-session-id'];
  // The session id lets whoever holds it use the session: the span gets a fingerprint, as the logs do.
  if (typeof sessionId === 'string' && sessionId !== '') out['mcp.session.id'] = fingerprint(sessionId);
  const version = req.headers['mcp-protocol-version'];
  if (typeof version === 'string') out['mcp.protocol.version'] = version;
  const agent = req.headers['user-agent'];
  if (typeof agent === 'string') out['user_agent.original'] = agent;
  if (Array.isArray(body)) {
    out['mcpre.batch.size'] = body.length;
    return out;
  }
  const message = body as JsonRpcLike | undefined;
  if (!message || typeof message !== 'object') return out;
  if (typeof message.method === 'string') out['mcp.method.name'] = message.method;
  if (typeof message.id === 'string' || typeof message.id === 'number') out['jsonrpc.request.id'] = String(message.id);
  const params = message.params;
  if (message.method === 'tools/call' && typeof params?.name === 'string') {
    out['gen_ai.tool.name'] = params.name;
    out['gen_ai.operation.name'] = 'execute_tool';
  }
  if (message.method === 'prompts/get' && typeof params?.name === 'string') out['gen_ai.prompt.name'] = params.name;
  if (typeof params?.uri === 'string') out['mcp.resource.uri'] = params.uri;
  const metaVersion = params?._meta?.['io.modelcontextprotocol/protocolVersion'];
  if (typeof metaVersion === 'string') out['mcp.protocol.version'] = metaVersion;
  return out;
}
