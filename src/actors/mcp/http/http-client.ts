// The HTTP client for backends (RFC "vMCP: HTTP Client for Direct Mode"): undici trusting the roots of
// ../../tls-roots.ts plus an optional CA bundle, TLS 1.2 minimum, keep-alive, connect and header timeouts, and caps
// on what a response may make us buffer; plain-http origins of `calls` on plain-http1-client.ts, with the same
// connect, header and body timeouts. Requests whose answer may be an SSE stream pass bodyTimeout 0 (a quiet
// notification stream is not an error); their JSON bodies are bounded by the caller's request timeout and the size cap.
import type { Dispatcher } from 'undici';
import { checkPemCertificates, pemCertificateBlocks } from '../../../api/endpoint/ca-bundle.ts';
import type { ActorClock } from '../../clock.ts';
import { trustedSecureContext } from '../../tls-roots.ts';
import { configError } from '../errors.ts';
import { type CallDispatcher, PlainHttp1Client } from './plain-http1-client.ts';
import { Agent, buildConnector, type Connector } from './undici-agent.ts';

export interface HttpLimits {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** Longest pause within an answer's body, for requests that do not set their own `bodyTimeout`. */
  bodyTimeoutMs: number;
  /** Largest JSON response body we read. */
  maxResponseBytes: number;
  /** Largest single SSE event (its data and any partial line) we buffer. */
  maxEventBytes: number;
}

export interface HttpClientOptions extends Partial<HttpLimits> {
  /** Time for the plain-http connections' timeouts and keep-alive (src/runtime/clock.ts's systemClock in a process). */
  clock: ActorClock;
  /**
   * PEM text of extra CA certificates, trusted in addition to the OS store and Node's bundled roots (e.g. an
   * endpoint's caBundleRef).
   */
  caBundlePem?: string;
  /** Where the bundle came from, for error messages. */
  caBundleSource?: string;
  keepAliveTimeoutMs?: number;
  /** Only when tracing is on: every request carries the active trace context, and effects can mark the active span. */
  trace?: TraceHooks;
}

/**
 * The tracing the effects may do, injected by the runtime (src/runtime/tracing) when tracing is on: they take no
 * clock and import no SDK. Both act on the span active in the caller's async context (the gateway's backend call).
 */
export interface TraceHooks {
  /** W3C `traceparent` (and `tracestate`) of the active span; undefined without one. */
  headers(): Record<string, string> | undefined;
  /** Records an event (a retry, a lost session, a resumed stream) on the active span. */
  event(name: string, attributes?: Record<string, string | number | boolean>): void;
}

export interface HttpClient {
  readonly dispatcher: Dispatcher;
  /**
   * For a session's requests (Streamable HTTP's POST, GET stream and DELETE; the 2024-11-05 transport's stream and
   * POSTs) and 2026-07-28 exchanges, through dispatch-response.ts: plain-http origins on plain-http1-client.ts, the
   * rest on `dispatcher`.
   */
  readonly calls: CallDispatcher;
  readonly limits: HttpLimits;
  /** Present only when tracing is on. */
  readonly trace?: TraceHooks;
  close(): Promise<void>;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  // undici's default.
  bodyTimeoutMs: 300_000,
  maxResponseBytes: 16 * 1024 * 1024,
  maxEventBytes: 4 * 1024 * 1024,
});

/**
 * HTTP/2 flow-control windows toward a backend: 16 MiB for the connection, 4 MiB per stream (Chrome's are 15 and 6).
 * Every call to a backend shares its one connection, so undici's defaults (512 KiB and 256 KiB) would let the whole
 * backend have only 512 KiB in flight per round trip: 8 parallel 2 MiB results took 12-21x as long as over HTTP/1.1
 * at a 40-100 ms RTT, and 1.3-1.6x with these windows (bench/backend-h2-window.bench.ts). The connection window is credit, not a buffer (Node
 * consumes it as data arrives); a stream's window is what a paused stream may hold, and the gateway's readers do not
 * pause (JSON bodies are read whole, bounded by maxResponseBytes; SSE streams are read as they come). undici 8.14
 * validates the documented `settings.initialWindowSize` but applies only a top-level `initialWindowSize`, so both are
 * given; a unit test reads the windows a server sees.
 */
const H2_WINDOWS = {
  connectionWindowSize: 16 * 1024 * 1024,
  settings: { initialWindowSize: 4 * 1024 * 1024 },
  initialWindowSize: 4 * 1024 * 1024,
} as NonNullable<ConstructorParameters<typeof Agent>[0]>['h2Options'];

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const limits: HttpLimits = {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_HTTP_LIMITS.connectTimeoutMs,
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_HTTP_LIMITS.bodyTimeoutMs,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_HTTP_LIMITS.maxResponseBytes,
    maxEventBytes: options.maxEventBytes ?? DEFAULT_HTTP_LIMITS.maxEventBytes,
  };
  const extra = options.caBundlePem
    ? parseCaBundle(options.caBundlePem, options.caBundleSource ?? 'CA bundle')
    : undefined;
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 30_000;
  const dispatcher = new Agent({
    connect: connector(limits.connectTimeoutMs, extra),
    headersTimeout: limits.headersTimeoutMs,
    bodyTimeout: limits.bodyTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    h2Options: H2_WINDOWS,
  });
  const plain = new PlainHttp1Client({
    clock: options.clock,
    connectTimeoutMs: limits.connectTimeoutMs,
    headersTimeoutMs: limits.headersTimeoutMs,
    bodyTimeoutMs: limits.bodyTimeoutMs,
    keepAliveTimeoutMs,
  });
  const close = async () => {
    await Promise.all([dispatcher.close(), plain.close()]);
  };
  const trace = options.trace;
  const traced = trace ? dispatcher.compose(withTraceHeaders(trace)) : dispatcher;
  // The trace headers are added once, before the origin decides the connection.
  const route: Dispatcher['dispatch'] = (opts, handler) =>
    String(opts.origin).startsWith('http:') ? plain.dispatch(opts, handler) : dispatcher.dispatch(opts, handler);
  const calls = { dispatch: trace ? withTraceHeaders(trace)(route) : route };
  return { dispatcher: traced, calls, limits, ...(trace ? { trace } : {}), close };
}

/**
 * Connections with the TLS context built on the first https connection: the context (the trusted roots, parsed
 * by OpenSSL) holds about 5 MiB, which a gateway whose backends all speak plain http in the cluster never needs.
 */
function connector(timeout: number, extra: string[] | undefined): Connector {
  const plain = buildConnector({ timeout, keepAlive: true });
  let secure: Connector | undefined;
  return (opts, callback) => {
    if (opts.protocol !== 'https:') return plain(opts, callback);
    secure ??= buildConnector({
      timeout,
      keepAlive: true,
      // HTTP/2 where the backend offers it by ALPN (undici's default, stated here because the gateway relies on it):
      // every call and the notification stream of a backend share one connection instead of one connection each.
      // preferH2 offers h2 first, so a server that honours the client's order picks it too.
      allowH2: true,
      preferH2: true,
      minVersion: 'TLSv1.2',
      secureContext: trustedSecureContext(extra),
    });
    return secure(opts, callback);
  };
}

/** An undici interceptor adding the active trace context's headers to each request made while a span is active. */
function withTraceHeaders(trace: TraceHooks): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const extra = trace.headers();
    if (!extra) return dispatch(opts, handler);
    const headers = opts.headers;
    // Our callers pass plain objects; any other form is left as it is rather than guessed at.
    if (headers != null && (typeof headers !== 'object' || Array.isArray(headers) || Symbol.iterator in headers))
      return dispatch(opts, handler);
    return dispatch({ ...opts, headers: { ...(headers as Record<string, string> | undefined), ...extra } }, handler);
  };
}

/** Split a PEM bundle into certificates, each parsed; a bundle without one usable certificate is a config error. */
export function parseCaBundle(pem: string, source: string): string[] {
  const check = checkPemCertificates(pem, source);
  if (!check.ok) throw configError(check.message);
  return pemCertificateBlocks(pem);
}
