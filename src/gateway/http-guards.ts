// Checks made before any MCP processing: Host and Origin (DNS rebinding: a web page on an attacker's domain that
// resolves to 127.0.0.1 must not reach a local gateway), and the request body size.
import type { IncomingMessage } from 'node:http';

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface OriginPolicy {
  /** The gateway listens on loopback only, so loopback names are the only legitimate Host and Origin hosts. */
  loopbackOnly: boolean;
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
}

export type GuardResult = { ok: true } | { ok: false; status: number; reason: string; message: string };

export function checkHostAndOrigin(req: IncomingMessage, policy: OriginPolicy): GuardResult {
  const host = req.headers.host;
  if (policy.allowedHosts.length > 0 || policy.loopbackOnly) {
    const hostname = host ? hostnameOf(host) : undefined;
    const allowed =
      hostname !== undefined &&
      (policy.allowedHosts.length > 0
        ? policy.allowedHosts.some((h) => h.toLowerCase() === hostname || h.toLowerCase() === host?.toLowerCase())
        : loopbackNames.has(hostname));
    if (!allowed) {
      return {
        ok: false,
        status: 403,
        reason: 'host',
        message: `Forbidden: Host header ${JSON.stringify(host ?? '')} is not allowed`,
      };
    }
  }
  const origin = req.headers.origin;
  // Non-browser clients send no Origin; browsers always do on cross-origin and POST requests.
  if (origin === undefined) return { ok: true };
  if (policy.allowedOrigins.includes('*') || policy.allowedOrigins.includes(origin)) return { ok: true };
  if (policy.loopbackOnly) {
    const originHost = safeUrl(origin)?.hostname;
    if (originHost !== undefined && loopbackNames.has(originHost)) return { ok: true };
  }
  return {
    ok: false,
    status: 403,
    reason: 'origin',
    message: `Forbidden: Origin ${JSON.stringify(origin)} is not allowed`,
  };
}

/** Host headers seen recently and their hostnames: clients send the same few, and parsing a URL per request costs. */
const hostnames = new Map<string, string | undefined>();
const MAX_REMEMBERED_HOSTS = 256;

/** `example.com:8080` -> `example.com`, `[::1]:80` -> `[::1]`, lowercased. */
function hostnameOf(host: string): string | undefined {
  if (hostnames.has(host)) return hostnames.get(host);
  const hostname = safeUrl(`http://${host}`)?.hostname.toLowerCase();
  if (hostnames.size >= MAX_REMEMBERED_HOSTS) hostnames.clear();
  hostnames.set(host, hostname);
  return hostname;
}

function safeUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.limit = limit;
  }
}

/** Read the body, refusing early (by Content-Length) or as soon as the running total passes the limit. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  // Events rather than an async iterator: a body is mostly one chunk, and the iterator costs a promise per step.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) finish(new BodyTooLargeError(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(new Error('the client closed the connection before the body ended'));
    const finish = (err: Error | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) {
        // Stop reading: the rest is not wanted.
        req.pause();
        reject(err);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function isLoopbackAddress(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}
