// tools/call through the gateway vs straight to the backend, on loopback, side by side in one run, for both protocol
// eras on each side: 2025-era clients (the v1 SDK, one session each) and 2026-07-28 clients (stateless, per-request
// envelope; the v2 SDK's Client pinned to 2026-07-28, or bare fetch POSTs), to a 2025-era backend
// (@modelcontextprotocol/server-everything) and a 2026-07-28-only backend (the v2 SDK's stateless handler,
// bench/modern-echo-server.ts). Each gateway row's ratios are to the direct path to the same backend. The backends and
// the gateway run as their own processes, as in production; the clients run here. Rounds interleave the paths (the
// order rotates per round) so that noise from other work on the machine falls on all. Per path: p50/p99 of one
// client's sequential calls, calls per second of CONCURRENCY clients each calling in a loop, every answer checked, and
// this process's CPU per sequential call (the client's own cost). For the gateway: its process CPU per forwarded call
// (from /proc/<pid>/stat, per path, with the part spent in the kernel) and its RSS at rest (ready, no client yet) and
// after the run. Per gateway path also each round's p50 added and concurrent ratio against the direct path of the
// same round, as median and range: on a machine whose speed drifts, those pairs move less than totals over the run;
// and the gateway's CPU per call per round (sequential calls alone and all), paired with the baseline's of the same
// round when there is one.
//   npm run bench -- gateway-latency      (env: ROUNDS=3 CALLS=500 CONCURRENCY=16 SECONDS=2;
//                                          ERAS=2025 for the 2025-era rows only (one backend, the original table);
//                                          CLIENT26=raw for 2026-07-28 clients as bare fetch POSTs (default sdk);
//                                          GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it;
//                                          ONLY="via gateway:2026>2025" to run only the paths so named, plus
//                                          their direct paths (name:client>backend, comma separated);
//                                          BASELINE_ROOT=<another checkout> to measure its gateway alongside;
//                                          GATEWAY_ENTRY=dist/src/cli.js to run a build, as the image does;
//                                          BASELINE_NODE_ARGS / BASELINE_ENTRY for the baseline, default the same;
//                                          SHIPPED=1 to run each gateway with the ENV of its checkout's Dockerfile
//                                          (NODE_OPTIONS, malloc settings), as the image runs it;
//                                          GATEWAY_ENV / BASELINE_ENV="K=V ..." for more environment of the gateway
//                                          alone / the baseline alone (default: GATEWAY_ENV);
//                                          PASSTHROUGH=off to leave out "via passthrough", a bare Node proxy
//                                          (bench/passthrough-proxy.ts: node:http in, undici out, bytes copied)
//                                          that shows what any second hop in Node costs on this machine;
//                                          TRACING=on to measure a third gateway, "via traced", with tracing on
//                                          (sampler always_on, OTLP http/protobuf) beside the untraced one, exporting
//                                          to a Jaeger the bench starts (scripts/setup-jaeger.sh's build), or to
//                                          TRACING_OTLP_ENDPOINT when set)
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningJaeger, startJaeger } from '../test/support/jaeger.ts';
import { runSetupScript } from '../test/support/setup-script.ts';
import { type Caller, connectLegacy, connectModern, type Era } from './modern-client.ts';
import { cpuTicks, cpuTimes, quantile, rssOf, TICKS_PER_SECOND } from './session-fixture.ts';

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
const shipped = process.env.SHIPPED === '1';
const pairs = (text: string | undefined): NodeJS.ProcessEnv =>
  Object.fromEntries(words(text).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
const gatewayEnv = pairs(process.env.GATEWAY_ENV);
const baselineEnv = process.env.BASELINE_ENV === undefined ? gatewayEnv : pairs(process.env.BASELINE_ENV);
const withModern = words((process.env.ERAS ?? '2025 2026').replaceAll(',', ' ')).includes('2026');
const client26 = process.env.CLIENT26 === 'raw' ? 'raw' : 'sdk';
const only = process.env.ONLY ? process.env.ONLY.split(',').map((x) => x.trim()) : undefined;
const traced = process.env.TRACING === 'on';
const passthrough = process.env.PASSTHROUGH !== 'off';
/** The untraced gateways must not pick tracing up from the bench's own environment. */
const TRACING_OFF: NodeJS.ProcessEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };

/** With SHIPPED=1, the `ENV` settings of the image's last stage in `checkout`'s Dockerfile; else none. */
function imageEnv(checkout: string): NodeJS.ProcessEnv {
  if (!shipped) return {};
  const dockerfile = readFileSync(join(checkout, 'Dockerfile'), 'utf8');
  const image = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return Object.assign({}, ...[...image.matchAll(/^ENV (.+)$/gm)].map((m) => pairs(m[1])));
}

/** A backend as the gateway config names it: its tools reach clients as `<name>_<tool>`. */
interface Backend {
  era: Era;
  label: string;
  url: URL;
  configName: string;
  pid: number;
}

interface Path {
  name: string;
  client: Era;
  backend: Backend;
  tool: string;
  gateway?: Gateway;
  sequential: Caller;
  concurrent: Caller[];
  latencies: number[];
  concurrentCalls: number;
  concurrentSeconds: number;
  /** This process's CPU (µs) over the sequential runs: the client's own cost per call. */
  clientMicros: number;
  gatewayTicks: number;
  /** The part of gatewayTicks spent in the kernel (socket reads and writes, polling): what no JavaScript cut reaches. */
  gatewayKernelTicks: number;
  gatewayCalls: number;
  /** The part of gatewayTicks and gatewayCalls from the sequential runs: one client's calls, one at a time. */
  sequentialGatewayTicks: number;
  sequentialGatewayCalls: number;
  /** CPU of each process over the concurrent runs (client µs, backend and gateway ticks): who the CPUs served. */
  concurrentCpu: { clientMicros: number; backendTicks: number; gatewayTicks: number };
  /**
   * Each round's own p50 and concurrent calls/s, to pair with the direct path's of the same round, and the gateway's
   * CPU per call in that round (ms; all calls, and the sequential ones alone), to pair with another gateway's.
   */
  rounds: { p50: number; concurrentPerSecond: number; gatewayCpuMs: number; sequentialGatewayCpuMs: number }[];
}

const key = (name: string, client: Era, backend: Era) => `${name}:${client}>${backend}`;
const selected = (name: string, client: Era, backend: Era) =>
  !only || only.includes(key(name, client, backend)) || name === 'direct';

async function main() {
  const children: ChildProcess[] = [];
  let jaeger: RunningJaeger | undefined;
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-bench-'));
  try {
    const port = await spawnAndRead(
      process.execPath,
      [join(root, 'test/fixtures/mcp/everything-loopback.ts'), 'streamableHttp'],
      /MCPRE_LISTENING (\d+)/,
      children,
      { PORT: '0' },
    );
    const backends: Backend[] = [
      {
        era: '2025',
        label: 'everything',
        url: new URL(`http://127.0.0.1:${port}/mcp`),
        configName: 'bench',
        pid: children.at(-1)!.pid!,
      },
    ];
    if (withModern) {
      const url = await spawnAndRead(
        process.execPath,
        [join(here, 'modern-echo-server.ts')],
        /MCPRE_FIXTURE_URL (\S+)/,
        children,
        {},
      );
      backends.push({
        era: '2026',
        label: 'v2 stateless',
        url: new URL(url),
        configName: 'bench26',
        pid: children.at(-1)!.pid!,
      });
    }
    const config = join(dir, 'gateway.yaml');
    await writeFile(
      config,
      JSON.stringify({ backends: backends.map((b) => ({ name: b.configName, url: b.url.href })) }),
    );
    const own = { root, entry: gatewayEntry, nodeArgs: gatewayNodeArgs, env: { ...imageEnv(root), ...gatewayEnv } };
    const gateways = [await startGateway('via gateway', own, config, dir, children, TRACING_OFF)];
    if (traced) {
      if (!process.env.TRACING_OTLP_ENDPOINT) jaeger = await startJaeger(await runSetupScript('setup-jaeger.sh'));
      const endpoint = process.env.TRACING_OTLP_ENDPOINT ?? jaeger?.otlpHttp;
      const env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_SERVICE_NAME: 'mcpre-gateway-bench',
        OTEL_TRACES_SAMPLER: 'always_on',
      };
      gateways.push(await startGateway('via traced', own, config, dir, children, env));
    }
    if (baselineRoot) {
      const baseline = {
        root: baselineRoot,
        entry: baselineEntry,
        nodeArgs: baselineNodeArgs,
        env: { ...imageEnv(baselineRoot), ...baselineEnv },
      };
      gateways.push(await startGateway('via baseline', baseline, config, dir, children, TRACING_OFF));
    }

    // Grouped by backend: its direct path first, then each gateway with each client era.
    const paths: Path[] = [];
    const skipped: string[] = [];
    const clientEras: Era[] = withModern ? ['2025', '2026'] : ['2025'];
    for (const b of backends) {
      paths.push(await openPath('direct', b.era, b, b.url, 'echo'));
      if (passthrough) {
        // The floor: the direct path's client through a proxy that does nothing but copy, to this backend alone (it
        // translates nothing, so only the backend's own era gets through).
        const proxy = await startPassthrough(b, children);
        if (selected(proxy.name, b.era, b.era)) {
          const p = await openPath(proxy.name, b.era, b, proxy.url, 'echo');
          p.gateway = proxy;
          paths.push(p);
        }
      }
      for (const g of gateways) {
        const tool = `${b.configName}_echo`;
        for (const client of clientEras) {
          if (!selected(g.name, client, b.era)) continue;
          // A baseline from before 2026-07-28 lists no tool of the 2026-only backend, or refuses 2026 clients.
          const usable = (await toolListed(g.url, tool, g.name === 'via baseline' ? 40 : 200))
            ? await openPath(g.name, client, b, g.url, tool).catch((err: Error) => err)
            : new Error(`${tool} is not listed`);
          if (usable instanceof Error) {
            skipped.push(`${key(g.name, client, b.era)}: ${usable.message.slice(0, 160)}`);
            continue;
          }
          usable.gateway = g;
          paths.push(usable);
        }
      }
    }
    for (const p of paths) await warmUp(p);
    for (let r = 0; r < rounds; r++) {
      const order = paths.map((_, i) => paths[(i + r) % paths.length]!);
      const marks = new Map(paths.map((p) => [p, markRound(p)]));
      for (const run of [runSequential, runConcurrent]) {
        for (const p of order) {
          const before = p.gateway ? cpuTimes(p.gateway.pid) : undefined;
          const n = await run(p);
          if (p.gateway && before) {
            const after = cpuTimes(p.gateway.pid);
            p.gatewayTicks += after.user + after.kernel - before.user - before.kernel;
            p.gatewayKernelTicks += after.kernel - before.kernel;
            p.gatewayCalls += n;
            if (run === runSequential) {
              p.sequentialGatewayTicks += after.user + after.kernel - before.user - before.kernel;
              p.sequentialGatewayCalls += n;
            }
          }
        }
      }
      for (const [p, mark] of marks) p.rounds.push(roundFigures(p, mark));
    }
    for (const g of new Set(paths.map((p) => p.gateway))) if (g) g.rssAfter = rssOf(g.pid);
    for (const p of paths) await closePath(p);
    report(paths, skipped);
    if (jaeger) {
      // The in-memory store keeps the newest 10,000 traces, and a search must ask for fewer.
      const exported = await jaeger.traces('mcpre-gateway-bench', 9999);
      console.log(`jaeger: ${exported.length} traces of mcpre-gateway-bench found (searched for at most 9,999)`);
    }
  } finally {
    await jaeger?.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await rm(dir, { recursive: true, force: true });
  }
}

function report(paths: Path[], skipped: string[]): void {
  console.log(
    `tools/call echo, loopback; ${rounds} interleaved rounds of ${calls} sequential calls by one client and ${seconds} s of ${concurrency} clients calling concurrently; every answer checked`,
  );
  console.log(
    'clients: 2025 = v1 SDK, one session each; 2026 = ' +
      (client26 === 'sdk' ? 'v2 SDK Client pinned to 2026-07-28' : 'bare fetch POSTs with the 2026-07-28 envelope') +
      '; backends: 2025 = server-everything (sessions), 2026 = v2 SDK createMcpHandler (stateless, 2026-07-28 only)',
  );
  const cols = [
    'path',
    'client',
    'backend',
    'p50 ms',
    'p99 ms',
    'seq/s',
    `${concurrency}conc/s`,
    'gw CPU/call',
    'cl CPU/call',
  ];
  const widths = [13, 6, 7, 8, 8, 8, 9, 11, 11];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  console.log(line(cols));
  for (const p of paths) {
    const s = summary(p);
    const d = summary(paths.find((x) => x.name === 'direct' && x.backend === p.backend)!);
    console.log(
      line([
        p.name,
        p.client,
        p.backend.era,
        s.p50.toFixed(3),
        s.p99.toFixed(3),
        s.sequentialPerSecond.toFixed(0),
        s.concurrentPerSecond.toFixed(0),
        p.gateway ? `${s.gatewayCpuMs.toFixed(3)} ms` : '-',
        `${s.clientCpuMs.toFixed(3)} ms`,
      ]),
    );
    if (!p.gateway) continue;
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    console.log(
      line([
        '  ratio',
        '',
        '',
        x(s.p50, d.p50),
        x(s.p99, d.p99),
        x(s.sequentialPerSecond, d.sequentialPerSecond),
        x(s.concurrentPerSecond, d.concurrentPerSecond),
        '',
        '',
      ]),
    );
  }
  for (const p of paths) {
    if (!p.gateway) continue;
    const s = summary(p);
    const d = summary(paths.find((x) => x.name === 'direct' && x.backend === p.backend)!);
    const g = p.gateway;
    // The 2025 client to the 2025 backend keeps the line it always had (other tools read it).
    const name = p.client === '2025' && p.backend.era === '2025' ? g.name : `${g.name} ${p.client}>${p.backend.era}`;
    const memory =
      p.client === '2025' && p.backend.era === '2025'
        ? `; RSS ${mib(g.rssAtRest)} MiB at rest, ${mib(g.rssAfter)} MiB after the run (${runForm(g.entry)}${envForm(g.env)})`
        : '';
    console.log(
      `${name}: p50 added ${(s.p50 - d.p50).toFixed(3)} ms; CPU per call ${s.gatewayCpuMs.toFixed(3)} ms, ${s.gatewayKernelMs.toFixed(3)} ms of it in the kernel (${p.gatewayCalls} calls)${memory}`,
    );
  }
  // Each round measures every path back to back, so a round's gateway figure paired with its direct figure shares
  // that round's machine; the median over rounds is the figure least moved by a slow phase of the machine.
  for (const p of paths) {
    if (!p.gateway) continue;
    const d = paths.find((x) => x.name === 'direct' && x.backend === p.backend)!;
    const pairs = p.rounds.map((r, i) => ({ r, d: d.rounds[i]! }));
    console.log(
      `${p.gateway.name} ${p.client}>${p.backend.era}, paired per round (median, range over ${pairs.length}): ` +
        `p50 added ${spread(
          pairs.map(({ r, d }) => r.p50 - d.p50),
          3,
          ' ms',
        )}; ${concurrency} concurrent ${spread(
          pairs.map(({ r, d }) => r.concurrentPerSecond / d.concurrentPerSecond),
          2,
          'x',
        )} of direct`,
    );
  }
  // CPU per call, per round: the sequential calls alone (one client, one call at a time: every call pays its own
  // wake-ups) and all of them; with a baseline, the ratio of the two gateways' figures of the same round, which the
  // machine's drift over the run moves far less than the totals above.
  for (const p of paths) {
    if (!p.gateway) continue;
    const base =
      p.gateway.name === 'via baseline'
        ? undefined
        : paths.find((x) => x.gateway?.name === 'via baseline' && x.client === p.client && x.backend === p.backend);
    // A round too short for one clock tick of the baseline has no ratio.
    const pairs = base
      ? p.rounds
          .map((r, i) => ({ r, b: base.rounds[i]! }))
          .filter(({ b }) => b.gatewayCpuMs > 0 && b.sequentialGatewayCpuMs > 0)
      : [];
    type Round = Path['rounds'][number];
    const all = (r: Round) => r.gatewayCpuMs;
    const sequential = (r: Round) => r.sequentialGatewayCpuMs;
    const ms = (pick: (r: Round) => number) => spread(p.rounds.map(pick), 3, ' ms');
    const ratio = (pick: (r: Round) => number) =>
      spread(
        pairs.map(({ r, b }) => pick(r) / pick(b)),
        2,
        'x',
      );
    const vsBaseline = pairs.length > 0 ? `; vs baseline ${ratio(all)} (sequential ${ratio(sequential)})` : '';
    console.log(
      `${p.gateway.name} ${p.client}>${p.backend.era}, gateway CPU per call per round ` +
        `(median, range over ${p.rounds.length}): sequential ${ms(sequential)}, all ${ms(all)}${vsBaseline}`,
    );
  }
  // On a machine whose CPUs the client, backend and gateway saturate together, concurrent throughput follows the CPU
  // each call costs all three: this line shows that cost and the ratio it alone would allow.
  for (const p of paths) {
    if (!p.gateway) continue;
    const d = paths.find((x) => x.name === 'direct' && x.backend === p.backend)!;
    const [via, direct] = [concurrentCpuMs(p), concurrentCpuMs(d)];
    const split = (c: ReturnType<typeof concurrentCpuMs>) =>
      `${c.client.toFixed(3)} / ${c.backend.toFixed(3)} / ${c.gateway.toFixed(3)}`;
    console.log(
      `${p.gateway.name} ${p.client}>${p.backend.era}, ${concurrency} concurrent: CPU per call client / backend / gateway ` +
        `${split(via)} ms (direct ${direct.client.toFixed(3)} / ${direct.backend.toFixed(3)}); total ${via.total.toFixed(3)} ` +
        `vs ${direct.total.toFixed(3)} ms, so ${(direct.total / via.total).toFixed(2)}x of direct's calls/s when the ` +
        `${availableParallelism()} CPUs are the limit`,
    );
  }
  for (const p of paths) {
    if (p.gateway?.name !== 'via traced') continue;
    const untraced = paths.find(
      (x) => x.gateway?.name === 'via gateway' && x.client === p.client && x.backend === p.backend,
    );
    if (!untraced) continue;
    const [on, off] = [summary(p), summary(untraced)];
    console.log(
      `tracing overhead ${p.client}>${p.backend.era} (via traced vs via gateway): p50 ${(on.p50 - off.p50).toFixed(3)} ms ` +
        `(${(on.p50 / off.p50).toFixed(2)}x), p99 ${(on.p99 - off.p99).toFixed(3)} ms, gateway CPU per call ` +
        `${((on.gatewayCpuMs - off.gatewayCpuMs) * 1000).toFixed(0)} µs (${(on.gatewayCpuMs / off.gatewayCpuMs).toFixed(2)}x), ` +
        `${concurrency} concurrent ${(on.concurrentPerSecond / off.concurrentPerSecond).toFixed(2)}x calls/s`,
    );
  }
  for (const s of skipped) console.log(`skipped ${s}`);
}

interface Gateway {
  name: string;
  url: URL;
  pid: number;
  /** The file run, relative to its checkout: the sources or the build. */
  entry: string;
  /** Environment given beyond the bench's own (SHIPPED, GATEWAY_ENV, BASELINE_ENV). */
  env: NodeJS.ProcessEnv;
  rssAtRest: number;
  rssAfter: number;
}

/** The gateway as it runs by default: info-level logs with one audit line per call (to a file, as in a pod). */
async function startGateway(
  name: string,
  from: { root: string; entry: string; nodeArgs: string[]; env: NodeJS.ProcessEnv },
  config: string,
  dir: string,
  children: ChildProcess[],
  env: NodeJS.ProcessEnv,
): Promise<Gateway> {
  const url = await spawnAndRead(
    process.execPath,
    [...from.nodeArgs, join(from.root, from.entry), 'gateway', '--port', '0', '--config', config],
    /serving MCP at (\S+)/,
    children,
    { ...from.env, ...env },
    openSync(join(dir, `${name.replace(/\W/g, '-')}.log`), 'w'),
    from.root,
  );
  const pid = children.at(-1)!.pid!;
  await waitReady(new URL('/readyz', url));
  if (!(await toolListed(new URL(url), 'bench_echo', 200))) {
    throw new Error(`bench_echo never appeared in the tools/list of ${name}`);
  }
  const rssAtRest = await settledRss(pid);
  return { name, url: new URL(url), pid, entry: from.entry, env: from.env, rssAtRest, rssAfter: 0 };
}

/** bench/passthrough-proxy.ts in front of one backend, measured as a gateway is (CPU per call, RSS). */
async function startPassthrough(backend: Backend, children: ChildProcess[]): Promise<Gateway> {
  const entry = 'bench/passthrough-proxy.ts';
  const url = await spawnAndRead(
    process.execPath,
    [join(root, entry), backend.url.href],
    /serving MCP at (\S+)/,
    children,
    {},
  );
  const pid = children.at(-1)!.pid!;
  return {
    name: 'via passthrough',
    url: new URL(url),
    pid,
    entry,
    env: {},
    rssAtRest: await settledRss(pid),
    rssAfter: 0,
  };
}

const connect = (client: Era, url: URL): Promise<Caller> =>
  client === '2025' ? connectLegacy(url) : connectModern(url, client26);

async function openPath(name: string, client: Era, backend: Backend, url: URL, tool: string): Promise<Path> {
  const sequential = await connect(client, url);
  const concurrent = await Promise.all(Array.from({ length: concurrency }, () => connect(client, url)));
  return {
    name,
    client,
    backend,
    tool,
    sequential,
    concurrent,
    latencies: [],
    concurrentCalls: 0,
    concurrentSeconds: 0,
    clientMicros: 0,
    gatewayTicks: 0,
    gatewayKernelTicks: 0,
    gatewayCalls: 0,
    sequentialGatewayTicks: 0,
    sequentialGatewayCalls: 0,
    concurrentCpu: { clientMicros: 0, backendTicks: 0, gatewayTicks: 0 },
    rounds: [],
  };
}

async function closePath(p: Path): Promise<void> {
  await Promise.all([p.sequential, ...p.concurrent].map((c) => c.close()));
}

let nextMessage = 0;

/** One call, its answer checked: the echo of a message no other call sent. */
async function call(client: Caller, p: Path): Promise<void> {
  const message = `ping ${nextMessage++}`;
  const result = await client.call(p.tool, { message });
  const first = result.content[0];
  if (result.isError || first?.type !== 'text' || first.text !== `Echo: ${message}`) {
    throw new Error(`${key(p.name, p.client, p.backend.era)}: wrong answer to ${message}: ${JSON.stringify(result)}`);
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
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call(p.sequential, p);
    p.latencies.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  p.clientMicros += used.user + used.system;
  return calls;
}

async function runConcurrent(p: Path): Promise<number> {
  let done = 0;
  const cpu = process.cpuUsage();
  const backendTicks = cpuTicks(p.backend.pid);
  const gatewayTicks = p.gateway ? cpuTicks(p.gateway.pid) : 0;
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
  const used = process.cpuUsage(cpu);
  p.concurrentCpu.clientMicros += used.user + used.system;
  p.concurrentCpu.backendTicks += cpuTicks(p.backend.pid) - backendTicks;
  if (p.gateway) p.concurrentCpu.gatewayTicks += cpuTicks(p.gateway.pid) - gatewayTicks;
  return done;
}

type RoundMark = ReturnType<typeof markRound>;
const markRound = (p: Path) => ({
  latencies: p.latencies.length,
  calls: p.concurrentCalls,
  seconds: p.concurrentSeconds,
  gatewayTicks: p.gatewayTicks,
  gatewayCalls: p.gatewayCalls,
  sequentialGatewayTicks: p.sequentialGatewayTicks,
  sequentialGatewayCalls: p.sequentialGatewayCalls,
});

function roundFigures(p: Path, mark: RoundMark): Path['rounds'][number] {
  const sorted = p.latencies.slice(mark.latencies).sort((a, b) => a - b);
  const msPerCall = (ticks: number, calls: number) => (calls > 0 ? ((ticks / TICKS_PER_SECOND) * 1000) / calls : 0);
  return {
    p50: quantile(sorted, 0.5),
    concurrentPerSecond: (p.concurrentCalls - mark.calls) / (p.concurrentSeconds - mark.seconds),
    gatewayCpuMs: msPerCall(p.gatewayTicks - mark.gatewayTicks, p.gatewayCalls - mark.gatewayCalls),
    sequentialGatewayCpuMs: msPerCall(
      p.sequentialGatewayTicks - mark.sequentialGatewayTicks,
      p.sequentialGatewayCalls - mark.sequentialGatewayCalls,
    ),
  };
}

/** Median and range of per-round figures, e.g. `0.86x (0.79x to 0.91x)`. */
function spread(values: number[], digits: number, unit: string): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `${f(quantile(sorted, 0.5))} (${f(sorted[0] ?? Number.NaN)} to ${f(sorted.at(-1) ?? Number.NaN)})`;
}

interface Summary {
  p50: number;
  p99: number;
  sequentialPerSecond: number;
  concurrentPerSecond: number;
  gatewayCpuMs: number;
  gatewayKernelMs: number;
  clientCpuMs: number;
}

/** CPU per concurrent call of each process (ms), and their sum. */
function concurrentCpuMs(p: Path) {
  const per = (ms: number) => (p.concurrentCalls ? ms / p.concurrentCalls : 0);
  const client = per(p.concurrentCpu.clientMicros / 1000);
  const backend = per((p.concurrentCpu.backendTicks / TICKS_PER_SECOND) * 1000);
  const gateway = per((p.concurrentCpu.gatewayTicks / TICKS_PER_SECOND) * 1000);
  return { client, backend, gateway, total: client + backend + gateway };
}

function summary(p: Path): Summary {
  const sorted = [...p.latencies].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    sequentialPerSecond: sorted.length / (total / 1000),
    concurrentPerSecond: p.concurrentCalls / p.concurrentSeconds,
    gatewayCpuMs: p.gatewayCalls ? (p.gatewayTicks / TICKS_PER_SECOND / p.gatewayCalls) * 1000 : 0,
    gatewayKernelMs: p.gatewayCalls ? (p.gatewayKernelTicks / TICKS_PER_SECOND / p.gatewayCalls) * 1000 : 0,
    clientCpuMs: sorted.length ? p.clientMicros / 1000 / sorted.length : 0,
  };
}

/** RSS once it stopped moving (two samples half a second apart within 1%), within 10 s. */
async function settledRss(pid: number): Promise<number> {
  let last = rssOf(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = rssOf(pid);
    if (Math.abs(now - last) <= last * 0.01) return now;
    last = now;
  }
  return last;
}

/**
 * How the gateway ran, said next to its RSS: the image runs the build (Dockerfile), which needs no type stripper; run
 * from the sources, Node's stripper and the stripped text add about 20 MiB at rest.
 */
function runForm(entry: string): string {
  return entry.endsWith('.ts')
    ? `${entry} on Node's type stripping; the image runs the build: npm run build, GATEWAY_ENTRY=dist/src/cli.js`
    : `${entry}, the build, as the image runs it`;
}

function envForm(env: NodeJS.ProcessEnv): string {
  const set = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return set.length > 0 ? `; env ${set.join(' ')}` : '';
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
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
    stdio: ['pipe', 'pipe', stderr],
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

/** Ready means a backend is up; its tools are aggregated right after. Bounded: `tries` lists 50 ms apart. */
async function toolListed(url: URL, tool: string, tries: number): Promise<boolean> {
  const { client } = await connectLegacy(url);
  try {
    for (let i = 0; i < tries; i++) {
      const { tools } = await client.listTools();
      if (tools.some((t) => t.name === tool)) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  } finally {
    await client.close();
  }
}

await main();
