// The Kubernetes API over undici with one shared connection pool. @kubernetes/client-node 2.0.1 builds a new undici
// Agent for every request (KubeConfig.applySecurityAuthentication -> createDispatcher), so every call pays a fresh
// TLS handshake; here credentials come from the same KubeConfig (in-cluster token files included) but connections are
// reused. Also serves watches: newline-delimited JSON, no body timeout, an inactivity watchdog instead.
//
// An unreachable, hung or restarted API server is an error of the calls in flight, never of the process: every
// failure reaches the caller as a rejected KubeApiError, and the pool's own connection events (a connection that
// stopped answering PINGs, a refused reconnect) are reported to `onConnectionEvent` instead of going unheard.

import type { EventEmitter } from 'node:events';
import type { Dispatcher, Client as UndiciClient, Pool as UndiciPool } from 'undici';
import { type KubeApi, KubeApiError, type KubeRequest } from '../../actors/kube/kube-api.ts';
import { Client, Pool } from '../../actors/mcp/http/undici-agent.ts';
import type { HttpsOptionsLike, KubeTarget } from './kubeconfig.ts';
import { LineDecoder } from './line-decoder.ts';

export interface WatchEvent<T = unknown> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface KubeHttp extends KubeApi {
  /**
   * Streams a watch. Resolves when the server ends the stream (a normal timeout), rejects on transport errors, on a
   * non-200 answer, and when no byte arrived for `inactivityMs` (bookmarks count).
   */
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: WatchEvent) => void,
    opts: { signal: AbortSignal; inactivityMs: number },
  ): Promise<void>;
  close(): Promise<void>;
}

export interface KubeHttpOptions {
  /** Connections per origin; the write queue's concurrency should not exceed it. */
  connections?: number;
  /** Per-request time limit for non-watch calls. */
  timeoutMs?: number;
  /** How long credentials (token files, client certificates) are reused before being re-read. */
  credentialTtlMs?: number;
  /**
   * HTTP/2 PING interval. A PING still unanswered at the next one drops the connection (a hung API server behind an
   * open socket), failing its calls so that they are retried on a new one.
   */
  pingIntervalMs?: number;
  /** TCP connect plus TLS handshake limit: a frozen server still accepts TCP connections but never completes TLS. */
  connectTimeoutMs?: number;
  /** Told when a connection to the API server is lost or cannot be made (for a log line); default: ignored. */
  onConnectionEvent?: (event: KubeConnectionEvent) => void;
}

export interface KubeConnectionEvent {
  type: 'disconnect' | 'connection-error' | 'client-error';
  server: string;
  error: string;
  /**
   * undici's error code: UND_ERR_INFO for an orderly close (an idle connection's timeout, a GOAWAY), UND_ERR_DESTROYED
   * when close() ends it.
   */
  code?: string;
}

const ORDERLY_CLOSE = new Set(['UND_ERR_INFO', 'UND_ERR_DESTROYED']);

/** Connection events as log lines: an orderly close at debug, a lost or refused connection at warn. */
export function logConnectionEvents(log: {
  debug(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}): (event: KubeConnectionEvent) => void {
  return (e) => {
    const fields = { server: e.server, err: e.error, ...(e.code ? { code: e.code } : {}) };
    if (e.type === 'disconnect' && ORDERLY_CLOSE.has(e.code ?? ''))
      log.debug(fields, 'Kubernetes API connection closed');
    else if (e.type === 'disconnect') log.warn(fields, 'Kubernetes API connection lost');
    else if (e.type === 'connection-error') log.warn(fields, 'cannot connect to the Kubernetes API');
    else log.warn(fields, 'Kubernetes API client error');
  };
}

interface Credentials {
  headers: Record<string, string>;
  tlsKey: string;
  agent: UndiciPool;
  readAt: number;
}

/** How many transports this process has opened: each names its number in its User-Agent. */
let transports = 0;

export function createKubeHttp(kc: KubeTarget, opts: KubeHttpOptions = {}): KubeHttp {
  // The API server's audit log records the User-Agent: the number tells one process's connection pools apart
  // (`mcpre operator` opens one; a test counts them).
  transports += 1;
  const userAgent = `mcpre (pool ${transports})`;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster; pass --kubeconfig or run in a cluster');
  const server = cluster.server.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ttl = opts.credentialTtlMs ?? 30_000;
  let creds: Credentials | undefined;
  const agents: UndiciPool[] = [];
  // Aborted by close(): every request and watch still in flight ends through its own awaited path (an AbortError the
  // caller handles) before the pool goes away, instead of a ClientDestroyedError surfacing on a stream nobody reads.
  const closing = new AbortController();

  async function credentials(): Promise<Credentials> {
    if (creds && Date.now() - creds.readAt < ttl) return creds;
    const o: {
      headers?: Record<string, string>;
      ca?: Buffer | string;
      cert?: Buffer | string;
      key?: Buffer | string;
      rejectUnauthorized?: boolean;
      servername?: string;
      auth?: string;
    } = {};
    await kc.applyToHTTPSOptions(o as HttpsOptionsLike);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k] = String(v);
    headers['user-agent'] = userAgent;
    if (o.auth) headers.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    const tls = {
      ca: o.ca?.toString(),
      cert: o.cert?.toString(),
      key: o.key?.toString(),
      rejectUnauthorized: o.rejectUnauthorized,
      servername: o.servername,
    };
    const tlsKey = JSON.stringify(tls);
    let agent = creds?.agent;
    if (!agent || creds?.tlsKey !== tlsKey) {
      agent = connectionPool(server, tls, opts);
      agents.push(agent);
    }
    creds = { headers, tlsKey, agent, readAt: Date.now() };
    return creds;
  }

  /** The request's path and query as the pool sends them (the pool's origin is the server's). */
  function target(path: string, query?: KubeRequest['query']): string {
    const u = new URL(server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.pathname + u.search;
  }

  return {
    async request<T>(req: KubeRequest): Promise<T> {
      const c = await credentials();
      const headers: Record<string, string> = { ...c.headers, accept: 'application/json' };
      let body: string | undefined;
      if (req.body !== undefined) {
        headers['content-type'] = req.contentType ?? 'application/json';
        body = JSON.stringify(req.body);
      }
      // One controller and one timer per request, both released when it ends: AbortSignal.any and
      // AbortSignal.timeout would each stay reachable (from the process-wide `closing` signal, from a 30 s timer)
      // long after the answer, and under a burst of writes that is thousands of them promoted to the old generation.
      const abort = new AbortController();
      const sources = [req.signal, closing.signal].filter((x): x is AbortSignal => x !== undefined);
      const onAbort = () => abort.abort(sources.find((x) => x.aborted)?.reason);
      for (const x of sources) x.addEventListener('abort', onAbort, { once: true });
      if (sources.some((x) => x.aborted)) onAbort();
      const timer = setTimeout(
        () => abort.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        timeoutMs,
      );
      timer.unref();
      try {
        let res: Dispatcher.ResponseData;
        try {
          res = await c.agent.request({
            path: target(req.path, req.query),
            method: req.method,
            headers,
            body,
            signal: abort.signal,
          });
        } catch (err) {
          throw new KubeApiError(`${req.method} ${req.path}: ${err instanceof Error ? err.message : String(err)}`);
        }
        let text: string;
        try {
          if (req.discardResponse && res.statusCode >= 200 && res.statusCode < 300) {
            await res.body.dump();
            return undefined as T;
          }
          text = await res.body.text();
        } catch (err) {
          throw new KubeApiError(`${req.method} ${req.path}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (res.statusCode >= 200 && res.statusCode < 300) return (text ? JSON.parse(text) : undefined) as T;
        throw toError(req.method, req.path, res.statusCode, text, res.headers['retry-after']);
      } finally {
        clearTimeout(timer);
        for (const x of sources) x.removeEventListener('abort', onAbort);
      }
    },

    async watch(path, query, onEvent, { signal, inactivityMs }) {
      const c = await credentials();
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      closing.signal.addEventListener('abort', onAbort, { once: true });
      let idle: NodeJS.Timeout | undefined;
      let stalled = false;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          stalled = true;
          controller.abort(new Error('watch inactive'));
        }, inactivityMs);
        idle.unref();
      };
      try {
        arm();
        const res = await c.agent.request({
          path: target(path, { ...query, watch: true }),
          method: 'GET',
          headers: { ...c.headers, accept: 'application/json' },
          signal: controller.signal,
          bodyTimeout: 0,
          headersTimeout: inactivityMs,
        });
        if (res.statusCode !== 200) {
          const text = await res.body.text();
          throw toError('WATCH', path, res.statusCode, text, res.headers['retry-after']);
        }
        // An unfinished last line is an event cut off by the end of the stream; the next watch resumes from the
        // last resourceVersion delivered, so it is dropped, not guessed at.
        const lines = new LineDecoder();
        for await (const chunk of res.body) {
          arm();
          for (const raw of lines.push(chunk)) {
            const line = raw.trim();
            if (line) onEvent(JSON.parse(line) as WatchEvent);
          }
        }
      } catch (err) {
        if (signal.aborted || closing.signal.aborted) return;
        if (stalled) throw new KubeApiError(`WATCH ${path}: no data for ${inactivityMs} ms (watchdog)`);
        if (err instanceof KubeApiError) throw err;
        throw new KubeApiError(`WATCH ${path}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        clearTimeout(idle);
        signal.removeEventListener('abort', onAbort);
        closing.signal.removeEventListener('abort', onAbort);
      }
    },

    async close() {
      closing.abort(new Error('KubeHttp closed'));
      await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
    },
  };
}

const DEFAULT_PING_INTERVAL_MS = 30_000;

/**
 * One origin, so one Pool (an Agent would only add a Pool per origin). HTTP/2 is required, not just allowed: every
 * informer holds a watch open, and over HTTP/1.1 the watches alone would take the whole pool and starve the writes
 * (seen: no status write in 15 s with 10+ informers); with HTTP/2 they are streams on one connection.
 */
function connectionPool(
  server: string,
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean; servername?: string },
  opts: KubeHttpOptions,
): UndiciPool {
  const report = (type: KubeConnectionEvent['type'], err: unknown) => {
    const code = (err as { code?: unknown } | undefined)?.code;
    opts.onConnectionEvent?.({
      type,
      server,
      error: err instanceof Error ? err.message : String(err),
      ...(typeof code === 'string' ? { code } : {}),
    });
  };
  const pool = new Pool(server, {
    connections: opts.connections ?? 64,
    keepAliveTimeout: 30_000,
    allowH2: true,
    pingInterval: opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    // preferH2 offers h2 first in ALPN, so a server that honours the client's order also picks HTTP/2.
    connect: { ...dropUndefined(tls), minVersion: 'TLSv1.2', preferH2: true },
    // A Client emits 'error' when a request's handler fails while undici fails that request; with no listener that
    // would end the process, so each Client gets one.
    factory: (origin, clientOpts) => {
      const client = new Client(origin, clientOpts as UndiciClient.Options);
      (client as unknown as EventEmitter).on('error', (err: unknown) => report('client-error', err));
      return client;
    },
  });
  pool.on('disconnect', (_origin, _targets, err) => report('disconnect', err));
  pool.on('connectionError', (_origin, _targets, err) => report('connection-error', err));
  return pool;
}

function toError(method: string, path: string, code: number, text: string, retryAfter: unknown): KubeApiError {
  let message = text;
  let reason: string | undefined;
  try {
    const status = JSON.parse(text) as { message?: string; reason?: string };
    message = status.message ?? text;
    reason = status.reason;
  } catch {
    // not a Status object
  }
  const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
  return new KubeApiError(`${method} ${path}: HTTP ${code}: ${message}`, code, reason, retryAfterMs);
}

function dropUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
