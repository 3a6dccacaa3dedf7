// Gateway replicas sharing client sessions in Redis, behind a round-robin front written here (not the product: a few
// lines of HTTP that send each request to the next replica, so consecutive calls of one session land on different
// replicas). Side by side in one run, rounds interleaved: one replica with sessions in memory, and 1, 2 and 3
// replicas on one redis-server. Per setup: p50/p99 of one client's sequential tools/call, and calls per second of
// CONCURRENCY clients (one 2025-era session each, bare fetch POSTs) calling for SECONDS; every answer is checked.
// Ratios: calls/s against 1 replica on Redis; latency of Redis against memory (the store's added cost per call). CPU per
// call of the gateways and of redis-server (from INFO), which the machine's other load disturbs less than times do.
// The backend (the fault fixture) runs as its own process, as do the gateways and redis-server.
//   npm run bench -- gateway-replicas      (env: ROUNDS=3 CALLS=300 CONCURRENCY=16 SECONDS=2;
//                                           REDIS_SERVER_BIN, else redis-server on PATH)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { connectRedis, type RedisClient, type RedisConnection } from '../src/runtime/redis-connection.ts';
import { SESSION_REVISION, send } from '../test/support/mcp-http.ts';
import { startRedis } from '../test/support/redis-server.ts';
import { cpuTicks, quantile, startFixtureProcess, table } from './session-fixture.ts';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const rounds = Number(process.env.ROUNDS ?? 3);
const calls = Number(process.env.CALLS ?? 300);
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const seconds = Number(process.env.SECONDS ?? 2);
process.env.REDIS_SERVER_BIN ??= 'redis-server';

interface Setup {
  name: string;
  front: Server;
  url: URL;
  /** The gateway processes behind the front. */
  pids: number[];
  latencies: number[];
  calls: number;
  seconds: number;
  /** CPU of the gateways and of redis-server over this setup's runs, and the calls those runs made. */
  gatewayTicks: number;
  redisSeconds: number;
  measuredCalls: number;
}

/**
 * Sends each request to the next upstream in turn, the answer streamed through. A request that meets a kept-alive
 * socket the upstream had just closed is sent once more (on a fresh socket), as any proxy does.
 */
async function roundRobin(upstreams: URL[]): Promise<{ server: Server; url: URL }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, retry: boolean) => {
    const target = upstreams[next++ % upstreams.length] as URL;
    const options = { host: target.hostname, port: target.port, path: target.pathname, method: req.method };
    const out = httpRequest({ ...options, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (retry && out.reusedSocket && err.code === 'ECONNRESET') return forward(req, body, res, false);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    out.end(body);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res, true));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  return { server, url: new URL(`http://127.0.0.1:${address.port}/mcp`) };
}

function startGateway(config: string, extra: string[], children: ChildProcess[]): Promise<{ url: URL; pid: number }> {
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
        resolvePromise({ url: new URL(m[1] as string), pid: child.pid as number });
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
  const res = await send({ url }, 'POST', session, body);
  const text = await res.text();
  if (res.status >= 300) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return { session: res.headers.get('mcp-session-id'), text };
}

async function openSession(url: URL): Promise<string> {
  const params = { protocolVersion: SESSION_REVISION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } };
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

async function runSequential(s: Setup): Promise<number> {
  const session = await openSession(s.url);
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call(s.url, session, i, 1);
    s.latencies.push(performance.now() - started);
  }
  return calls;
}

async function runConcurrent(s: Setup): Promise<number> {
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
  return done;
}

/** redis-server's own CPU seconds (user + system), from INFO. */
async function redisCpu(client: RedisClient): Promise<number> {
  const info = await client.info('cpu');
  const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

async function main() {
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-bench-replicas-'));
  const fixture = await startFixtureProcess({ keepAliveMs: 60_000 });
  const redis = await startRedis();
  const setups: Setup[] = [];
  let redisConnection: RedisConnection | undefined;
  try {
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, JSON.stringify({ backends: [{ name: 'fx', url: fixture.url }] }));
    const memory = await startGateway(config, [], children);
    redisConnection = connectRedis({
      address: { tls: false, host: '127.0.0.1', port: redis.port, db: 0 },
      logger: pino({ level: 'silent' }),
    });
    const shared = await Promise.all(
      [0, 1, 2].map(() => startGateway(config, ['--session-store', redis.url], children)),
    );
    await Promise.all([memory, ...shared].map((g) => waitReady(g.url)));
    const fronts: Array<[string, Array<{ url: URL; pid: number }>]> = [
      ['memory, 1 replica', [memory]],
      ['redis, 1 replica', shared.slice(0, 1)],
      ['redis, 2 replicas', shared.slice(0, 2)],
      ['redis, 3 replicas', shared],
    ];
    for (const [name, upstreams] of fronts) {
      const { server, url } = await roundRobin(upstreams.map((u) => u.url));
      setups.push({
        name,
        front: server,
        url,
        pids: upstreams.map((u) => u.pid),
        latencies: [],
        calls: 0,
        seconds: 0,
        gatewayTicks: 0,
        redisSeconds: 0,
        measuredCalls: 0,
      });
    }
    for (const s of setups) await call(s.url, await openSession(s.url), 1, 1);
    for (let r = 0; r < rounds; r++) {
      const order = setups.map((_, i) => setups[(i + r) % setups.length] as Setup);
      for (const run of [runSequential, runConcurrent]) {
        for (const s of order) {
          const ticks = s.pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
          const redisBefore = await redisCpu(redisConnection.client);
          s.measuredCalls += await run(s);
          s.gatewayTicks += s.pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - ticks;
          s.redisSeconds += (await redisCpu(redisConnection.client)) - redisBefore;
        }
      }
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
          'gw CPU µs/call': ((s.gatewayTicks * 10_000) / s.measuredCalls).toFixed(0),
          'redis CPU µs/call': ((s.redisSeconds * 1e6) / s.measuredCalls).toFixed(0),
        })),
      ),
    );
  } finally {
    for (const s of setups) s.front.close();
    await redisConnection?.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await redis.stop();
    await fixture.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
