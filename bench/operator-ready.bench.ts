// How fast the operator brings direct endpoints to Ready on a local kube-apiserver + etcd, next to the raw rate at
// which the same HTTP client patches statuses, in one run. For each size N:
//   live  the operator (`mcpre operator`, its own process) is running and synced; N endpoints are created (64 in
//         flight); the clock stops when an informer in this process has seen all N Ready (and, later, all N Ready
//         Events). Creation competes with reconciling here, as it does in a real cluster.
//   cold  N endpoints already exist; the clock starts when the operator process is spawned (startup, list, sync and
//         reconcile included) and stops when all N are Ready.
//   raw   with no operator running, the same client patches each of the N statuses once at the operator's write
//         concurrency; best of RAW_REPEATS runs, as the ceiling. ratio = cold endpoints/s / raw patches/s.
// Also: the operator's peak RSS (VmHWM) and CPU time, and @kubernetes/client-node's own patch rate for reference (it
// builds a new connection per request). All processes share this machine's CPUs: expect run-to-run noise.
// The operator runs with the Node flags the chart and kustomize base give it (NODE_OPTIONS in their Deployments);
// OPERATOR_NODE_FLAGS replaces them ('' for none); BASELINE_NODE_FLAGS replaces them for the baseline alone (to
// compare a change of flags too, run the baseline with the flags its checkout deploys). BASELINE_ROOT=<another
// checkout> runs that checkout's operator too, on the same control plane: for each size and mode the two alternate
// (baseline first when live, last when cold), and ratios are printed. The image runs the build: OPERATOR_ENTRY=
// dist/src/cli.js (after npm run build) runs it too, without the type stripper's ~17 MiB (BASELINE_ENTRY for the
// baseline; the same by default).
//   npm run bench -- operator-ready   (env: SIZES=1000,5000 CONCURRENCY=32 RAW_REPEATS=3 OPERATOR_NODE_FLAGS=...
//                                      BASELINE_NODE_FLAGS=... OPERATOR_ENTRY=... BASELINE_ENTRY=...
//                                      BASELINE_ROOT=...)
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import { ContentType, collectionPath, objectPath, Resources } from '../src/actors/kube/kube-api.ts';
import type { Endpoint } from '../src/api/endpoint/model.ts';
import { API_GROUP, API_VERSION } from '../src/api/resources.ts';
import { startControlPlane } from '../src/control-plane/control-plane.ts';
import { createKubeHttp } from '../src/runtime/kube/kube-http.ts';
import { Reflector } from '../src/runtime/kube/reflector.ts';
import { seededRng } from '../src/runtime/random.ts';
import { cpuTicks, TICKS_PER_SECOND } from './session-fixture.ts';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const sizes = (process.env.SIZES ?? '1000,5000').split(',').map(Number);
const concurrency = Number(process.env.CONCURRENCY ?? 32);
const rawRepeats = Number(process.env.RAW_REPEATS ?? 3);
const CREATE_CONCURRENCY = 64;
const operatorEntry = process.env.OPERATOR_ENTRY ?? 'src/cli.ts';
const baselineEntry = process.env.BASELINE_ENTRY ?? operatorEntry;
/**
 * NODE_OPTIONS of the operator container in deploy/helm and deploy/kustomize (a test keeps the three equal). The old
 * space is the heap Node gives itself in the chart's 512Mi container (half the limit); on this host it would size the
 * heap from the host's memory instead.
 */
const DEPLOYED_NODE_FLAGS = '--max-semi-space-size=8 --max-old-space-size=256';
const GV = `${API_GROUP}/${API_VERSION}`;
/** The checkouts whose operator runs: this one, and with BASELINE_ROOT that one first. */
const codes: { label: string; root: string }[] = [
  ...(process.env.BASELINE_ROOT ? [{ label: 'base', root: resolve(process.env.BASELINE_ROOT) }] : []),
  { label: 'this', root },
];

interface Run {
  readyS: number;
  eventsS: number;
  peakRssMiB: number;
  cpuS: number;
  statusWrites: number;
  posts: number;
}

interface Row {
  n: number;
  /** By code label (see `codes`). */
  live: Record<string, Run & { createS: number }>;
  cold: Record<string, Run>;
  rawPerSecond: number;
  clientNodePerSecond?: number;
}

// Operator processes this bench started: killed on any exit, so a failed run leaves none behind.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** User + system CPU seconds of a process so far. */
const cpuSeconds = (pid: number): number => cpuTicks(pid) / TICKS_PER_SECOND;

const cp = await startControlPlane();
const kc = new KubeConfig();
kc.loadFromString(cp.kubeconfig);
const http = createKubeHttp(kc, { connections: 128 });
const rows: Row[] = [];
try {
  for (const n of sizes) rows.push(await runSize(n));
} catch (err) {
  console.error('operator-ready failed:', err);
  process.exitCode = 1;
} finally {
  for (const c of children) c.kill('SIGKILL');
  await http.close();
  await cp.stop();
}
print(rows);

async function runSize(n: number): Promise<Row> {
  const live: Row['live'] = {};
  const cold: Row['cold'] = {};
  // live: created while the operator runs.
  for (const code of codes) live[code.label] = await liveRun(n, code);
  // cold: everything exists before the operator starts. In the opposite order, so that neither code always meets the
  // fuller etcd (each run leaves its endpoints and Events behind).
  let coldNs = '';
  for (const code of [...codes].reverse()) {
    coldNs = await namespaceWithGroup(`cold-${n}-${code.label}`);
    await createEndpoints(coldNs, n);
    cold[code.label] = await coldRun(n, coldNs, code);
  }

  // raw: the same client, no operator, one status patch per endpoint.
  const names = Array.from({ length: n }, (_, i) => endpointName(i));
  let rawPerSecond = 0;
  for (let r = 0; r < rawRepeats; r++) {
    const rate = await timed(names, concurrency, (name, i) =>
      http.request({
        method: 'PATCH',
        path: objectPath(Resources.endpoint, coldNs, name, 'status'),
        contentType: ContentType.mergePatch,
        body: { status: { observedGeneration: 1000 * (r + 1) + i } },
      }),
    );
    rawPerSecond = Math.max(rawPerSecond, rate);
  }
  let clientNodePerSecond: number | undefined;
  if (n <= 1000) {
    const api = kc.makeApiClient(CustomObjectsApi);
    const opts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    clientNodePerSecond = await timed(names, concurrency, (name, i) =>
      api.patchNamespacedCustomObjectStatus(
        {
          group: API_GROUP,
          version: API_VERSION,
          namespace: coldNs,
          plural: 'mcpremoteendpoints',
          name,
          body: { status: { observedGeneration: 90_000 + i } },
        },
        opts,
      ),
    );
  }

  return { n, live, cold, rawPerSecond, clientNodePerSecond };
}

async function liveRun(n: number, code: { label: string; root: string }): Promise<Run & { createS: number }> {
  const ns = await namespaceWithGroup(`live-${n}-${code.label}`);
  const op = await startOperatorProcess(ns, code);
  const watch = await watchReady(ns, n);
  const t0 = performance.now();
  await createEndpoints(ns, n);
  const createS = (performance.now() - t0) / 1000;
  return { createS, ...(await untilReadyThenStop(watch, op, t0)) };
}

async function coldRun(n: number, ns: string, code: { label: string; root: string }): Promise<Run> {
  const watch = await watchReady(ns, n);
  const t1 = performance.now();
  const op = await startOperatorProcess(ns, code);
  return untilReadyThenStop(watch, op, t1);
}

/** A run's end: times to all Ready and all Events from t0, the operator's peak RSS and CPU, then it is stopped. */
async function untilReadyThenStop(
  watch: Awaited<ReturnType<typeof watchReady>>,
  op: Awaited<ReturnType<typeof startOperatorProcess>>,
  t0: number,
): Promise<Run> {
  await watch.ready;
  const readyS = (performance.now() - t0) / 1000;
  await watch.events;
  const eventsS = (performance.now() - t0) / 1000;
  const peakRssMiB = peakRss(op.pid);
  const cpuS = cpuSeconds(op.pid);
  const counts = await stopOperator(op.child);
  await watch.stop();
  return { readyS, eventsS, peakRssMiB, cpuS, ...counts };
}

function endpointName(i: number): string {
  return `ep-${String(i).padStart(5, '0')}`;
}

async function namespaceWithGroup(ns: string): Promise<string> {
  await http.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  });
  await http.request({
    method: 'POST',
    path: collectionPath(Resources.group, ns),
    body: { apiVersion: GV, kind: 'MCPGroup', metadata: { name: 'bench' }, spec: {} },
  });
  return ns;
}

async function createEndpoints(ns: string, n: number): Promise<void> {
  const creates = new PQueue({ concurrency: CREATE_CONCURRENCY });
  let failure: unknown;
  for (let i = 0; i < n; i++) {
    void creates.add(() =>
      http
        .request({
          method: 'POST',
          path: collectionPath(Resources.endpoint, ns),
          body: {
            apiVersion: GV,
            kind: 'MCPRemoteEndpoint',
            metadata: { name: endpointName(i) },
            spec: {
              type: 'direct',
              remoteURL: `https://mcp-${i}.example.com/mcp`,
              transport: 'streamable-http',
              groupRef: 'bench',
            },
          },
        })
        .catch((err: unknown) => {
          failure ??= err;
        }),
    );
  }
  await creates.onIdle();
  if (failure) throw failure;
}

/** This process's own view: informers on the endpoints (phase Ready) and on their Ready Events. */
async function watchReady(ns: string, n: number) {
  const ready = new Set<string>();
  const events = new Set<string>();
  let readyDone: () => void = () => {};
  let eventsDone: () => void = () => {};
  const readyP = new Promise<void>((r) => {
    readyDone = r;
  });
  const eventsP = new Promise<void>((r) => {
    eventsDone = r;
  });
  const endpoints = new Reflector<Endpoint>({
    api: http,
    resource: Resources.endpoint,
    namespace: ns,
    rng: seededRng(1),
    onChange: (_type, e) => {
      if (e.status?.phase === 'Ready') ready.add(e.metadata.name);
      if (ready.size === n) readyDone();
    },
  });
  const evs = new Reflector<{ metadata: { name: string }; reason?: string; regarding?: { name: string } }>({
    api: http,
    resource: Resources.event,
    namespace: ns,
    rng: seededRng(2),
    onChange: (type, e) => {
      if (type !== 'deleted' && e.reason === 'Ready' && e.regarding) events.add(e.regarding.name);
      if (events.size === n) eventsDone();
    },
  });
  await Promise.all([endpoints.start(), evs.start()]);
  return {
    ready: readyP,
    events: eventsP,
    stop: () => Promise.all([endpoints.stop(), evs.stop()]),
  };
}

async function timed(
  names: string[],
  conc: number,
  fn: (name: string, i: number) => Promise<unknown>,
): Promise<number> {
  const q = new PQueue({ concurrency: conc });
  const t = performance.now();
  names.forEach((name, i) => void q.add(() => fn(name, i)));
  await q.onIdle();
  return names.length / ((performance.now() - t) / 1000);
}

interface OperatorProcess {
  child: ChildProcess;
  pid: number;
}

async function startOperatorProcess(ns: string, code: { label: string; root: string }): Promise<OperatorProcess> {
  const cwd = code.root;
  const entry = code.label === 'base' ? baselineEntry : operatorEntry;
  const own = process.env.OPERATOR_NODE_FLAGS ?? DEPLOYED_NODE_FLAGS;
  const flags = ((code.label === 'base' ? process.env.BASELINE_NODE_FLAGS : undefined) ?? own)
    .split(' ')
    .filter(Boolean);
  const args = [entry, 'operator', '--kubeconfig', cp.kubeconfigPath, '--namespace', ns, '--log-level', 'info'];
  const child = spawn(process.execPath, [...flags, ...args, '--write-concurrency', String(concurrency)], {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  (child as ChildProcess & { output: () => string }).output = () => out;
  // Started, not necessarily synced: the cold run's clock includes the operator's own start-up.
  return { child, pid: child.pid ?? 0 };
}

/** Stops the operator with SIGTERM (it drains first); returns what its last log line reports. */
async function stopOperator(child: ChildProcess): Promise<{ statusWrites: number; posts: number }> {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const out = (child as ChildProcess & { output: () => string }).output();
  const writes = /"statusWrites":(\d+)/.exec(out);
  const posts = /"POST":(\d+)/.exec(out);
  return { statusWrites: writes ? Number(writes[1]) : Number.NaN, posts: posts ? Number(posts[1]) : 0 };
}

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

function print(results: Row[]) {
  const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  console.log(
    `\noperator-ready: direct endpoints to Ready; write concurrency ${concurrency}; ${cpus().length} CPUs shared by etcd, kube-apiserver, the operator and this client`,
  );
  console.log(`operator: ${operatorEntry}${baselineEntry === operatorEntry ? '' : `, baseline: ${baselineEntry}`}`);
  const head = [
    'N',
    'mode',
    'code',
    'create s',
    'all Ready s',
    'endpoints/s',
    'all Ready events s',
    'status writes',
    'POSTs (events)',
    'operator CPU s',
    'peak RSS MiB',
  ];
  console.log(head.join(' | '));
  for (const r of results) {
    for (const mode of ['live', 'cold'] as const) {
      for (const { label } of codes) {
        const run: (Run & { createS?: number }) | undefined = r[mode][label];
        if (!run) continue;
        console.log(
          [
            r.n,
            mode,
            label,
            run.createS === undefined ? '-' : f(run.createS, 2),
            f(run.readyS, 2),
            f(r.n / run.readyS, 0),
            f(run.eventsS, 2),
            run.statusWrites,
            run.posts,
            f(run.cpuS, 1),
            f(run.peakRssMiB, 0),
          ].join(' | '),
        );
      }
    }
  }
  if (codes.length > 1) {
    console.log('\nN | mode | this / base: all Ready s | all Ready events s | operator CPU s | peak RSS');
    for (const r of results) {
      for (const mode of ['live', 'cold'] as const) {
        const [b, t] = [r[mode].base, r[mode].this];
        if (!b || !t) continue;
        const x = (k: keyof Run) => `${f(t[k] / b[k], 2)}x`;
        console.log([r.n, mode, x('readyS'), x('eventsS'), x('cpuS'), x('peakRssMiB')].join(' | '));
      }
    }
  }
  console.log('\nN | raw status patches/s (best of runs) | cold endpoints/s | ratio | client-node patches/s');
  for (const r of results) {
    const cold = r.n / (r.cold.this?.readyS ?? Number.NaN);
    console.log(
      [r.n, f(r.rawPerSecond, 0), f(cold, 0), `${f(cold / r.rawPerSecond, 2)}x`, f(r.clientNodePerSecond, 0)].join(
        ' | ',
      ),
    );
  }
  console.log(
    'ratio: the operator per endpoint lists it, writes its status once and posts one Ready event; the raw run only patches, so about 0.5x is the ceiling for two writes per endpoint.',
  );
}
