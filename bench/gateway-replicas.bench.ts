// Gateway replicas sharing client sessions in Redis, behind a round-robin front written here (not the product: a few
// lines of HTTP that send each request to the next replica, so consecutive calls of one session land on different
// replicas). Side by side in one run, rounds interleaved: one replica with sessions in memory, and 1, 2 and 3
// replicas on one redis-server. Per setup: p50/p99 of one client's sequential tools/call, and calls per second of
// CONCURRENCY clients (one 2025-era session each, bare fetch POSTs) calling for SECONDS; every answer is checked.
// Ratios: calls/s against 1 replica on Redis; latency of Redis against memory (the store's added cost per call).
// The backend (the fault fixture) runs as its own process, as do the gateways and redis-server.
//   npm run bench -- gateway-replicas      (env: ROUNDS=3 CALLS=300 CONCURRENCY=16 SECONDS=2;
//                                           REDIS_SERVER_BIN, else redis-server on PATH)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../test/support/redis-server.ts';
import { startFixtureProcess, table } from './session-fixture.ts';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const rounds = Number(process.env.ROUNDS ?? 3);
const calls = Number(process.env.CALLS ?? 300);
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const seconds = Number(process.env.SECONDS ?? 2);
const VERSION = '2025-11-25';
process.env.REDIS_SERVER_BIN ??= 'redis-server';

interface Setup {
  name: string;
  front: Server;
  url: URL;
  latencies: number[];
  calls: number;
  seconds: number;
}

/** Sends each request to the next upstream in turn, body and answer streamed through. */
async function roundRobin(upstreams: URL[]): Promise<{ server: Server; url: URL }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;
  const server = createServer((req, res) => {
    const target = upstreams[next++ % upstreams.length] as URL;
    const out = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: req.method,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  return { server, url: new URL(`http://127.0.0.1:${address.port}/mcp`) };
}

function startGateway(config: string, extra: string[], children: ChildProcess[]): Promise<URL> {
  const args = ['src/cli.ts', 'gateway', '--port', '0', '--config', config, '--log-level', 'warn', ...extra];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
  });
  children.push(child);
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('a gateway did not start within 30 s')), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving MCP at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(new URL(m[1] as string));
      }
    });
    child.once('exit', (code) => reject(new Error(`a gateway exited with ${code}`)));
  });
}

async function waitReady(url: URL): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(new URL('/readyz', url)).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready within 30 s`);
}

async function rpc(url: URL, body: object, session?: string): Promise<{ session: string | null; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': VERSION } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return { session: res.headers.get('mcp-session-id'), text };
}

async function openSession(url: URL): Promise<string> {
  const params = { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } };
  const init = await rpc(url, { jsonrpc: '2.0', id: 0, method: 'initialize', params });
  const session = init.session;
  if (!session) throw new Error(`initialize gave no session id: ${init.text.slice(0, 200)}`);
  await rpc(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
  return session;
}

let id = 0;
async function call(url: URL, session: string, a: number, b: number): Promise<void> {
  const params = { name: 'fx_add', arguments: { a, b } };
  const { text } = await rpc(url, { jsonrpc: '2.0', id: ++id, method: 'tools/call', params }, session);
  if (!text.includes(`"text":"${a + b}"`)) throw new Error(`wrong answer to ${a}+${b}: ${text.slice(0, 200)}`);
}

async function runSequential(s: Setup): Promise<void> {
  const session = await openSession(s.url);
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call(s.url, session, i, 1);
    s.latencies.push(performance.now() - started);
  }
}

async function runConcurrent(s: Setup): Promise<void> {
  const sessions = await Promise.all(Array.from({ length: concurrency }, () => openSession(s.url)));
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let done = 0;
  await Promise.all(
    sessions.map(async (session, c) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await call(s.url, session, c, i);
        done++;
      }
    }),
  );
  s.calls += done;
  s.seconds += (performance.now() - started) / 1000;
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

async function main() {
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-bench-replicas-'));
  const fixture = await startFixtureProcess({ keepAliveMs: 60_000 });
  const redis = await startRedis();
  const setups: Setup[] = [];
  try {
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, JSON.stringify({ backends: [{ name: 'fx', url: fixture.url }] }));
    const memory = await startGateway(config, [], children);
    const shared = await Promise.all(
      [0, 1, 2].map(() => startGateway(config, ['--session-store', redis.url], children)),
    );
    await Promise.all([memory, ...shared].map(waitReady));
    const fronts: Array<[string, URL[]]> = [
      ['memory, 1 replica', [memory]],
      ['redis, 1 replica', shared.slice(0, 1)],
      ['redis, 2 replicas', shared.slice(0, 2)],
      ['redis, 3 replicas', shared],
    ];
    for (const [name, upstreams] of fronts) {
      const { server, url } = await roundRobin(upstreams);
      setups.push({ name, front: server, url, latencies: [], calls: 0, seconds: 0 });
    }
    for (const s of setups) await call(s.url, await openSession(s.url), 1, 1);
    for (let r = 0; r < rounds; r++) {
      const order = setups.map((_, i) => setups[(i + r) % setups.length] as Setup);
      for (const run of [runSequential, runConcurrent]) for (const s of order) await run(s);
    }
    const base = setups[1] as Setup;
    const mem = setups[0] as Setup;
    console.log(
      `tools/call add through a round-robin front; ${rounds} interleaved rounds of ${calls} sequential calls by one ` +
        `client and ${seconds} s of ${concurrency} clients; every answer checked; load average ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
    );
    console.log(
      table(
        setups.map((s) => ({
          setup: s.name,
          'p50 ms': quantile(s.latencies, 0.5).toFixed(3),
          'p99 ms': quantile(s.latencies, 0.99).toFixed(3),
          'p50 vs memory': (quantile(s.latencies, 0.5) / quantile(mem.latencies, 0.5)).toFixed(2),
          'calls/s': (s.calls / s.seconds).toFixed(0),
          'calls/s vs 1 redis replica': (s.calls / s.seconds / (base.calls / base.seconds)).toFixed(2),
        })),
      ),
    );
  } finally {
    for (const s of setups) s.front.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await redis.stop();
    await fixture.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
