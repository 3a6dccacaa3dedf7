// tools/call through the gateway vs straight to the backend, on loopback, side by side in one run. The backend
// (@modelcontextprotocol/server-everything) and the gateway run as their own processes, as in production; the clients
// run here. Rounds interleave the two paths (the order alternates per round) so that noise from other work on the
// machine falls on both. Per path: p50/p99 of one session's sequential calls, calls per second of CONCURRENCY
// sessions each calling in a loop, and every answer checked. For the gateway: its process CPU per forwarded call (from
// /proc/<pid>/stat) and its RSS at rest (ready, no client yet) and after the run.
//   npm run bench -- gateway-latency      (env: ROUNDS=3 CALLS=500 CONCURRENCY=16 SECONDS=2;
//                                          GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it;
//                                          BASELINE_ROOT=<another checkout> to measure its gateway alongside;
//                                          GATEWAY_ENTRY=dist/src/cli.js to run a build, as the image does;
//                                          BASELINE_NODE_ARGS / BASELINE_ENTRY for the baseline, default the same)
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const rounds = Number(process.env.ROUNDS ?? 3);
const calls = Number(process.env.CALLS ?? 500);
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const seconds = Number(process.env.SECONDS ?? 2);
const words = (text: string | undefined) => (text ?? '').split(' ').filter(Boolean);
const gatewayNodeArgs = words(process.env.GATEWAY_NODE_ARGS);
const gatewayEntry = process.env.GATEWAY_ENTRY ?? 'src/cli.ts';
/** Another checkout (e.g. `git worktree` of main) whose gateway is measured in the same rounds, for before/after. */
const baselineRoot = process.env.BASELINE_ROOT;
const baselineNodeArgs =
  process.env.BASELINE_NODE_ARGS === undefined ? gatewayNodeArgs : words(process.env.BASELINE_NODE_ARGS);
const baselineEntry = process.env.BASELINE_ENTRY ?? gatewayEntry;
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

interface Path {
  name: string;
  tool: string;
  sequential: Client;
  concurrent: Client[];
  latencies: number[];
  concurrentCalls: number;
  concurrentSeconds: number;
}

async function main() {
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-bench-'));
  try {
    const port = await spawnAndRead(
      process.execPath,
      [join(root, 'test/fixtures/mcp/everything-loopback.ts'), 'streamableHttp'],
      /MCPRE_LISTENING (\d+)/,
      children,
      { PORT: '0' },
    );
    const backendUrl = `http://127.0.0.1:${port}/mcp`;
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, JSON.stringify({ backends: [{ name: 'bench', url: backendUrl }] }));
    const gateways = [
      await startGateway(
        'via gateway',
        { root, entry: gatewayEntry, nodeArgs: gatewayNodeArgs },
        config,
        dir,
        children,
      ),
    ];
    if (baselineRoot) {
      const baseline = { root: baselineRoot, entry: baselineEntry, nodeArgs: baselineNodeArgs };
      gateways.push(await startGateway('via baseline', baseline, config, dir, children));
    }

    const direct = await openPath('direct', new URL(backendUrl), 'echo');
    const paths = [direct];
    for (const g of gateways) {
      g.path = await openPath(g.name, g.url, 'bench_echo');
      paths.push(g.path);
    }
    for (const p of paths) await warmUp(p);
    for (let r = 0; r < rounds; r++) {
      const order = paths.map((_, i) => paths[(i + r) % paths.length]!);
      for (const run of [runSequential, runConcurrent]) {
        for (const p of order) {
          const g = gateways.find((x) => x.path === p);
          const before = g ? cpuTicks(g.pid) : 0;
          const n = await run(p);
          if (g) {
            g.ticks += cpuTicks(g.pid) - before;
            g.calls += n;
          }
        }
      }
    }
    for (const g of gateways) g.rssAfter = rss(g.pid);
    for (const p of paths) await closePath(p);

    const d = summary(direct);
    console.log(
      `tools/call echo to server-everything, loopback; ${rounds} interleaved rounds of ${calls} sequential calls on one session and ${seconds} s of ${concurrency} sessions calling concurrently; every answer checked`,
    );
    console.log(
      `${'path'.padEnd(13)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'seq/s'.padStart(8)} ${`${concurrency}conc/s`.padStart(9)}`,
    );
    const row = (name: string, s: Summary) =>
      `${name.padEnd(13)} ${fmt(s.p50)} ${fmt(s.p99)} ${s.sequentialPerSecond.toFixed(0).padStart(8)} ${s.concurrentPerSecond.toFixed(0).padStart(9)}`;
    const ratio = (s: Summary) =>
      `${'  ratio'.padEnd(13)} ${`${(s.p50 / d.p50).toFixed(2)}x`.padStart(8)} ${`${(s.p99 / d.p99).toFixed(2)}x`.padStart(8)} ${`${(s.sequentialPerSecond / d.sequentialPerSecond).toFixed(2)}x`.padStart(8)} ${`${(s.concurrentPerSecond / d.concurrentPerSecond).toFixed(2)}x`.padStart(9)}`;
    console.log(row('direct', d));
    for (const g of gateways) {
      const s = summary(g.path!);
      console.log(row(g.name, s));
      console.log(ratio(s));
    }
    for (const g of gateways) {
      const s = summary(g.path!);
      const cpuPerCall = (g.ticks / TICKS_PER_SECOND / g.calls) * 1000;
      console.log(
        `${g.name}: p50 added ${(s.p50 - d.p50).toFixed(3)} ms; CPU per call ${cpuPerCall.toFixed(3)} ms (${g.calls} calls); RSS ${mib(g.rssAtRest)} MiB at rest, ${mib(g.rssAfter)} MiB after the run`,
      );
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await rm(dir, { recursive: true, force: true });
  }
}

interface Gateway {
  name: string;
  url: URL;
  pid: number;
  rssAtRest: number;
  rssAfter: number;
  ticks: number;
  calls: number;
  path?: Path;
}

/** The gateway as it runs by default: info-level logs with one audit line per call (to a file, as in a pod). */
async function startGateway(
  name: string,
  from: { root: string; entry: string; nodeArgs: string[] },
  config: string,
  dir: string,
  children: ChildProcess[],
): Promise<Gateway> {
  const url = await spawnAndRead(
    process.execPath,
    [...from.nodeArgs, join(from.root, from.entry), 'gateway', '--port', '0', '--config', config],
    /serving MCP at (\S+)/,
    children,
    {},
    openSync(join(dir, `${name.replace(/\W/g, '-')}.log`), 'w'),
    from.root,
  );
  const pid = children.at(-1)!.pid!;
  await waitReady(new URL('/readyz', url));
  await waitToolListed(new URL(url), 'bench_echo');
  return { name, url: new URL(url), pid, rssAtRest: await settledRss(pid), rssAfter: 0, ticks: 0, calls: 0 };
}

async function connect(url: URL): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

async function openPath(name: string, url: URL, tool: string): Promise<Path> {
  return {
    name,
    tool,
    sequential: await connect(url),
    concurrent: await Promise.all(Array.from({ length: concurrency }, () => connect(url))),
    latencies: [],
    concurrentCalls: 0,
    concurrentSeconds: 0,
  };
}

async function closePath(p: Path): Promise<void> {
  await Promise.all([p.sequential, ...p.concurrent].map((c) => c.close()));
}

let nextMessage = 0;

/** One call, its answer checked: the echo of a message no other call sent. */
async function call(client: Client, p: Path): Promise<void> {
  const message = `ping ${nextMessage++}`;
  const result = await client.request(
    { method: 'tools/call', params: { name: p.tool, arguments: { message } } },
    CallToolResultSchema,
  );
  const first = result.content[0];
  if (result.isError || first?.type !== 'text' || first.text !== `Echo: ${message}`) {
    throw new Error(`${p.name}: wrong answer to ${message}: ${JSON.stringify(result)}`);
  }
}

async function warmUp(p: Path): Promise<void> {
  for (let i = 0; i < 200; i++) await call(p.sequential, p);
  await Promise.all(
    p.concurrent.map(async (c) => {
      await call(c, p);
      await call(c, p);
    }),
  );
}

async function runSequential(p: Path): Promise<number> {
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call(p.sequential, p);
    p.latencies.push(performance.now() - t);
  }
  return calls;
}

async function runConcurrent(p: Path): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    p.concurrent.map(async (c) => {
      while (performance.now() < deadline) {
        await call(c, p);
        done++;
      }
    }),
  );
  p.concurrentSeconds += (performance.now() - started) / 1000;
  p.concurrentCalls += done;
  return done;
}

interface Summary {
  p50: number;
  p99: number;
  sequentialPerSecond: number;
  concurrentPerSecond: number;
}

function summary(p: Path): Summary {
  const sorted = [...p.latencies].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    p50: sorted[Math.floor(sorted.length * 0.5)]!,
    p99: sorted[Math.floor(sorted.length * 0.99)]!,
    sequentialPerSecond: sorted.length / (total / 1000),
    concurrentPerSecond: p.concurrentCalls / p.concurrentSeconds,
  };
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** RSS once it stopped moving (two samples half a second apart within 1%), within 10 s. */
async function settledRss(pid: number): Promise<number> {
  let last = rss(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = rss(pid);
    if (Math.abs(now - last) <= last * 0.01) return now;
    last = now;
  }
  return last;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function fmt(ms: number): string {
  return ms.toFixed(3).padStart(8);
}

function spawnAndRead(
  cmd: string,
  args: string[],
  pattern: RegExp,
  children: ChildProcess[],
  env: NodeJS.ProcessEnv,
  stderr: 'inherit' | number = 'inherit',
  cwd = root,
): Promise<string> {
  const child = spawn(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', stderr],
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '', ...env },
  });
  children.push(child);
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no output matching ${pattern} within 20 s`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

async function waitReady(url: URL): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url.href} never became ready`);
}

/** Ready means a backend is up; its tools are aggregated right after. */
async function waitToolListed(url: URL, tool: string): Promise<void> {
  const client = await connect(url);
  try {
    for (let i = 0; i < 200; i++) {
      const { tools } = await client.listTools();
      if (tools.some((t) => t.name === tool)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${tool} never appeared in the gateway's tools/list`);
  } finally {
    await client.close();
  }
}

await main();
