// The Kubernetes API over undici with one shared connection pool. @kubernetes/client-node 2.0.1 builds a new undici
// Agent for every request (KubeConfig.applySecurityAuthentication -> createDispatcher), so every call pays a fresh
// TLS handshake; here credentials come from the same KubeConfig (in-cluster token files included) but connections are
// reused. Also serves watches: newline-delimited JSON, no body timeout, an inactivity watchdog instead.
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { type KubeApi, KubeApiError, type KubeRequest } from '../../actors/kube/kube-api.ts';
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
}

interface Credentials {
  headers: Record<string, string>;
  tlsKey: string;
  agent: Agent;
  readAt: number;
}

export function createKubeHttp(kc: KubeConfig, opts: KubeHttpOptions = {}): KubeHttp {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster; pass --kubeconfig or run in a cluster');
  const server = cluster.server.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ttl = opts.credentialTtlMs ?? 30_000;
  let creds: Credentials | undefined;
  const agents: Agent[] = [];
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
    await kc.applyToHTTPSOptions(o as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k] = String(v);
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
      agent = new Agent({
        connections: opts.connections ?? 64,
        keepAliveTimeout: 30_000,
        // HTTP/2 stays on (undici's default here): every informer holds a watch open, and over HTTP/1.1 the watches
        // alone would take the whole pool and starve the writes (seen: no status write in 15 s with 10+ informers).
        connect: { ...dropUndefined(tls), minVersion: 'TLSv1.2' },
      });
      agents.push(agent);
    }
    creds = { headers, tlsKey, agent, readAt: Date.now() };
    return creds;
  }

  function url(path: string, query?: KubeRequest['query']): string {
    const u = new URL(server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
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
      const signal = AbortSignal.any([
        ...(req.signal ? [req.signal] : []),
        AbortSignal.timeout(timeoutMs),
        closing.signal,
      ]);
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url(req.path, req.query), {
          method: req.method,
          headers,
          body,
          dispatcher: c.agent,
          signal,
        });
      } catch (err) {
        throw new KubeApiError(`${req.method} ${req.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      let text: string;
      try {
        text = await res.body.text();
      } catch (err) {
        throw new KubeApiError(`${req.method} ${req.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (res.statusCode >= 200 && res.statusCode < 300) return (text ? JSON.parse(text) : undefined) as T;
      throw toError(req.method, req.path, res.statusCode, text, res.headers['retry-after']);
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
        const res = await request(url(path, { ...query, watch: true }), {
          method: 'GET',
          headers: { ...c.headers, accept: 'application/json' },
          dispatcher: c.agent,
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
