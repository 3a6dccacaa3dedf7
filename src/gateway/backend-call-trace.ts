// The span of one call the gateway forwards to a backend (kind client, a child of the client request's server span),
// and its children: the requests the backend sends to the client during the call, relayed. Inside it, the backend
// session's HTTP requests carry its trace context as `traceparent` (the HTTP client's interceptor), and a 2026-07-28
// backend also gets it in the request's `_meta`, where that revision carries it. The session marks it with events:
// a lost session (404), the retry after re-initialization, a resumed response stream, a reconnect.
// Used only when tracing is on (the router checks `tracing.on`).
import type { Attributes } from '@opentelemetry/api';
import { eraOfVersion } from '../machines/backend-session-era.ts';
import { failSpan, type Span, startSpan, traced, traceHeaders, withSpan } from '../runtime/tracing/tracing.ts';
import { auditableUrl } from './audit.ts';
import type { Backend } from './backend.ts';

type Params = Record<string, unknown>;

export class BackendCallTrace {
  readonly #span: Span;
  readonly #modern: boolean;

  constructor(backend: Backend, method: string, params: Params) {
    const target = method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
    const name = typeof target === 'string' ? `${method} ${target}` : method;
    this.#modern = backend.protocolVersion !== undefined && eraOfVersion(backend.protocolVersion) === 'modern';
    this.#span = startSpan(name, 'client', describe(backend, method, params));
  }

  /** Runs fn (the backend request) with the call's span active. */
  run<T>(fn: () => T): T {
    return withSpan(this.#span, fn);
  }

  /** The params as sent: for a 2026-07-28 backend, with the call's trace context in `_meta`. */
  params(params: Params): Params {
    if (!this.#modern) return params;
    const carrier = withSpan(this.#span, traceHeaders);
    if (!carrier) return params;
    return { ...params, _meta: { ...(params._meta as Params | undefined), ...carrier } };
  }

  /** A request the backend sent to the client during this call, relayed, as a child span. */
  relay<T>(method: string, fn: () => Promise<T>): Promise<T> {
    return withSpan(this.#span, () => traced(`relay ${method}`, { 'mcp.method.name': method }, () => fn()));
  }

  end(outcome: 'ok' | 'error' | 'cancelled', httpStatus: number | undefined, error?: string): void {
    const span = this.#span;
    span.setAttribute('mcpre.outcome', outcome);
    if (httpStatus !== undefined) span.setAttribute('http.response.status_code', httpStatus);
    // The error text is the one the client and the audit line get: redacted where it was made.
    if (outcome !== 'ok') failSpan(span, outcome === 'cancelled' ? 'cancelled' : 'backend_error', error);
    span.end();
  }
}

function describe(backend: Backend, method: string, params: Params): Attributes {
  const out: Attributes = {
    'mcp.method.name': method,
    'mcpre.backend.name': backend.info.name,
    'mcpre.backend.auth': backend.info.authMethod,
    'url.full': auditableUrl(backend.info.url),
    'network.protocol.name': 'http',
  };
  try {
    const url = new URL(backend.info.url);
    out['server.address'] = url.hostname;
    out['server.port'] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  } catch {
    // An invalid URL never reaches a ready backend; the span simply has no address.
  }
  if (backend.protocolVersion !== undefined) out['mcp.protocol.version'] = backend.protocolVersion;
  if (method === 'tools/call' && typeof params.name === 'string') {
    out['gen_ai.tool.name'] = params.name;
    out['gen_ai.operation.name'] = 'execute_tool';
  }
  if (method === 'prompts/get' && typeof params.name === 'string') out['gen_ai.prompt.name'] = params.name;
  if (typeof params.uri === 'string') out['mcp.resource.uri'] = params.uri;
  return out;
}
