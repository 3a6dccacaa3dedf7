// The operator's HTTP endpoint for the kubelet and Prometheus: /healthz (liveness), /readyz (readiness), /metrics.
// Each probe is a list of named checks; the answer is 200 when all pass, 503 otherwise, with one line per check
// (`[+]name ok` / `[-]name: why`, as kube-apiserver writes its own /readyz), so `curl` tells what is wrong.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { listenOn } from '../listen.ts';
import { createServer } from '../node-http.ts';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface NamedCheck {
  name: string;
  check: () => CheckResult;
}

export interface ProbeServerOptions {
  port: number;
  host: string;
  registry: Registry;
  liveness: NamedCheck[];
  readiness: NamedCheck[];
  /** More GET routes (the /debug/actors live view); returns true when it handled the request. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface ProbeServer {
  url: URL;
  close(): Promise<void>;
}

export function renderChecks(checks: NamedCheck[]): { status: number; body: string } {
  const results = checks.map((c) => {
    try {
      return { name: c.name, ...c.check() };
    } catch (err) {
      return { name: c.name, ok: false, detail: `check failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  });
  const ok = results.every((r) => r.ok);
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok: ${r.detail}` : `[-]${r.name} failed: ${r.detail}`));
  return { status: ok ? 200 : 503, body: `${lines.join('\n')}\n${ok ? 'ok' : 'not ok'}\n` };
}

export async function startProbeServer(opts: ProbeServerOptions): Promise<ProbeServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://probe').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const { status, body } = renderChecks(path === '/healthz' ? opts.liveness : opts.readiness);
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      );
      return;
    }
    if (opts.extraRoutes?.(req, res)) return;
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /metrics, /healthz, /readyz or /debug/actors\n');
  });
  await listenOn(server, opts.port, opts.host);
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: new URL(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
