// tools/call through the gateway vs straight to the backend, on loopback, in one run. The backend and the gateway run
// as their own processes (as in production); the client runs here. Prints p50/p99 latency of sequential calls and
// calls per second with several calls in flight, for both paths, and the ratio.
//   npm run bench -- gateway-latency        (env: CALLS=2000 CONCURRENCY=16 SECONDS=3)
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const calls = Number(process.env.CALLS ?? 2000);
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const seconds = Number(process.env.SECONDS ?? 3);

if (process.argv.includes('--serve-backend')) {
  const { startDemoBackend } = await import('../src/gateway/demo-backend.ts');
  const backend = await startDemoBackend({ label: 'bench' });
  process.stdout.write(`URL ${backend.url.href}\n`);
  process.on('SIGTERM', () => void backend.close().then(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-bench-'));
  try {
    const backend = spawnAndRead(
      process.execPath,
      [fileURLToPath(import.meta.url), '--serve-backend'],
      /URL (\S+)/,
      children,
    );
    const backendUrl = await backend;
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, JSON.stringify({ backends: [{ name: 'bench', url: backendUrl }] }));
    // The gateway as it runs by default: info-level logs with one audit line per call (to a file, as in a pod).
    const gatewayUrl = await spawnAndRead(
      process.execPath,
      [join(root, 'src/cli.ts'), 'gateway', '--port', '0', '--config', config],
      /serving MCP at (\S+)/,
      children,
      openSync(join(dir, 'gateway.log'), 'w'),
    );
    await waitReady(new URL('/readyz', gatewayUrl));

    const direct = await measure(new URL(backendUrl), 'echo');
    const through = await measure(new URL(gatewayUrl), 'bench_echo');
    const row = (name: string, m: Measurement) =>
      `${name.padEnd(16)} ${fmt(m.p50)} ${fmt(m.p99)} ${m.callsPerSecond.toFixed(0).padStart(10)}`;
    console.log(`tools/call echo, loopback, ${calls} sequential calls; ${concurrency} in flight for ${seconds} s`);
    console.log(`${'path'.padEnd(16)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'calls/s'.padStart(10)}`);
    console.log(row('direct', direct));
    console.log(row('via gateway', through));
    const ratio = (name: string, m: Measurement) =>
      `${name.padEnd(16)} ${`${(m.p50 / direct.p50).toFixed(2)}x`.padStart(8)} ${`${(m.p99 / direct.p99).toFixed(2)}x`.padStart(8)} ${`${(m.callsPerSecond / direct.callsPerSecond).toFixed(2)}x`.padStart(10)}`;
    console.log(ratio('ratio', through));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

interface Measurement {
  p50: number;
  p99: number;
  callsPerSecond: number;
}

async function measure(url: URL, tool: string): Promise<Measurement> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url));
  const call = () =>
    client.request(
      { method: 'tools/call', params: { name: tool, arguments: { message: 'ping' } } },
      CallToolResultSchema,
    );
  for (let i = 0; i < 200; i++) await call();
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await call();
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await client.close();
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    callsPerSecond: done / elapsed,
  };
}

function fmt(ms: number): string {
  return ms.toFixed(3).padStart(8);
}

function spawnAndRead(
  cmd: string,
  args: string[],
  pattern: RegExp,
  children: ChildProcess[],
  stderr: 'inherit' | number = 'inherit',
): Promise<string> {
  const child = spawn(cmd, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', stderr],
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
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
