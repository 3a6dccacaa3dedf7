// How fast the operator brings direct endpoints to Ready on a local kube-apiserver + etcd, against the raw rate at
// which the same HTTP client can patch statuses. For each size: the operator (`mcpre operator`, its own process) is
// running and synced, the endpoints are created (64 in flight), and the clock stops when an informer in this process
// has seen every one of them Ready. Then, with the operator stopped, the same client patches every endpoint's status
// once (same concurrency as the operator's write queue): that is the ceiling. Also reported: the operator's peak RSS
// (VmHWM) and, for reference, @kubernetes/client-node's own patch rate (it builds a new connection per request).
//   npm run bench -- operator-ready    (env: SIZES=1000,5000 CONCURRENCY=32 OPERATOR_NODE_FLAGS=--max-semi-space-size=16)
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import { ContentType, collectionPath, objectPath, Resources } from '../src/actors/kube/kube-api.ts';
import type { Endpoint } from '../src/api/endpoint-model.ts';
import { API_GROUP, API_VERSION } from '../src/api/resources.ts';
import { startControlPlane } from '../src/runtime/control-plane/control-plane.ts';
import { createKubeHttp } from '../src/runtime/kube/kube-http.ts';
import { Reflector } from '../src/runtime/kube/reflector.ts';
import { seededRng } from '../src/runtime/random.ts';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const sizes = (process.env.SIZES ?? '1000,5000').split(',').map(Number);
const concurrency = Number(process.env.CONCURRENCY ?? 32);
const CREATE_CONCURRENCY = 64;

interface Row {
  n: number;
  createS: number;
  readyS: number;
  eventsS: number;
  afterLastCreateS: number;
  perSecond: number;
  peakRssMiB: number;
  operatorCpuS: number;
  statusWrites: number;
  eventsPosted: number;
  rawPerSecond: number;
  clientNodePerSecond?: number;
}

const cp = await startControlPlane();
const kc = new KubeConfig();
kc.loadFromString(cp.kubeconfig);
const http = createKubeHttp(kc, { connections: 128 });
const rows: Row[] = [];
try {
  for (const n of sizes) rows.push(await runSize(n));
} finally {
  await http.close();
  await cp.stop();
}
print(rows);

async function runSize(n: number): Promise<Row> {
  const ns = `bench-${n}`;
  await http.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  });
  await http.request({
    method: 'POST',
    path: collectionPath(Resources.group, ns),
    body: { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: 'MCPGroup', metadata: { name: 'bench' }, spec: {} },
  });

  const operator = await startOperatorProcess(ns);
  // This process's own view of readiness: an informer on the namespace.
  const ready = new Set<string>();
  let allReady: () => void = () => {};
  const done = new Promise<void>((r) => {
    allReady = r;
  });
  const watcher = new Reflector<Endpoint>({
    api: http,
    resource: Resources.endpoint,
    namespace: ns,
    rng: seededRng(1),
    onChange: (_type, e) => {
      if (e.status?.phase === 'Ready') ready.add(e.metadata.name);
      if (ready.size === n) allReady();
    },
  });
  await watcher.start();
  // And of the Ready events, which the operator posts right after each status write.
  const readyEvents = new Set<string>();
  let allEvents: () => void = () => {};
  const eventsDone = new Promise<void>((r) => {
    allEvents = r;
  });
  const eventWatcher = new Reflector<{ metadata: { name: string }; reason?: string; regarding?: { name: string } }>({
    api: http,
    resource: Resources.event,
    namespace: ns,
    rng: seededRng(2),
    onChange: (type, e) => {
      if (type !== 'deleted' && e.reason === 'Ready' && e.regarding) readyEvents.add(e.regarding.name);
      if (readyEvents.size === n) allEvents();
    },
  });
  await eventWatcher.start();

  const t0 = performance.now();
  const creates = new PQueue({ concurrency: CREATE_CONCURRENCY });
  for (let i = 0; i < n; i++) {
    const name = `ep-${String(i).padStart(5, '0')}`;
    void creates.add(() =>
      http.request({
        method: 'POST',
        path: collectionPath(Resources.endpoint, ns),
        body: {
          apiVersion: `${API_GROUP}/${API_VERSION}`,
          kind: 'MCPRemoteEndpoint',
          metadata: { name },
          spec: {
            type: 'direct',
            remoteURL: `https://mcp-${i}.example.com/mcp`,
            transport: 'streamable-http',
            groupRef: 'bench',
          },
        },
      }),
    );
  }
  await creates.onIdle();
  const tCreated = performance.now();
  await done;
  const tReady = performance.now();
  await eventsDone;
  const tEvents = performance.now();
  await eventWatcher.stop();
  const peakRssMiB = peakRss(operator.pid);
  const operatorCpuS = cpuSeconds(operator.pid);
  const { statusWrites, posts } = await stopOperator(operator.child);
  await watcher.stop();

  // The ceiling: the same client patching every status once, as fast as the same concurrency allows.
  const names = [...ready].sort();
  const raw = await timed(names, concurrency, (name, i) =>
    http.request({
      method: 'PATCH',
      path: objectPath(Resources.endpoint, ns, name, 'status'),
      contentType: ContentType.mergePatch,
      body: { status: { observedGeneration: 1000 + i } },
    }),
  );
  let clientNodePerSecond: number | undefined;
  if (n <= 1000) {
    const api = kc.makeApiClient(CustomObjectsApi);
    const opts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    clientNodePerSecond = await timed(names, concurrency, (name, i) =>
      api.patchNamespacedCustomObjectStatus(
        {
          group: API_GROUP,
          version: API_VERSION,
          namespace: ns,
          plural: 'mcpremoteendpoints',
          name,
          body: { status: { observedGeneration: 5000 + i } },
        },
        opts,
      ),
    );
  }

  const readyS = (tReady - t0) / 1000;
  return {
    n,
    createS: (tCreated - t0) / 1000,
    readyS,
    eventsS: (tEvents - t0) / 1000,
    afterLastCreateS: (tReady - tCreated) / 1000,
    perSecond: n / readyS,
    peakRssMiB,
    operatorCpuS,
    statusWrites,
    eventsPosted: posts,
    rawPerSecond: raw,
    clientNodePerSecond,
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

async function startOperatorProcess(ns: string): Promise<OperatorProcess> {
  const flags = (process.env.OPERATOR_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      ...flags,
      'src/cli.ts',
      'operator',
      '--kubeconfig',
      cp.kubeconfigPath,
      '--namespace',
      ns,
      '--log-level',
      'info',
      '--write-concurrency',
      String(concurrency),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolveReady, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('operator did not report ready within 60 s')), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"msg":"ready"')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.on('exit', (code) => reject(new Error(`operator exited early with ${code}`)));
  });
  return { child, pid: child.pid ?? 0 };
}

/** Stops the operator with SIGTERM; returns the status writes and POSTs (events) its last log line reports. */
async function stopOperator(child: ChildProcess): Promise<{ statusWrites: number; posts: number }> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const writes = /"statusWrites":(\d+)/.exec(out);
  const posts = /"POST":(\d+)/.exec(out);
  return { statusWrites: writes ? Number(writes[1]) : Number.NaN, posts: posts ? Number(posts[1]) : 0 };
}

/** User + system CPU time of a live process, from /proc (clock ticks are 100 Hz on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

function print(results: Row[]) {
  const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  console.log(
    `\noperator: direct endpoints to Ready (write concurrency ${concurrency}, creates ${CREATE_CONCURRENCY} in flight, ${cpus().length} CPUs shared by etcd, kube-apiserver, operator and this client)`,
  );
  console.log(
    [
      'endpoints',
      'create s',
      'all Ready s',
      'all Ready events s',
      'after last create s',
      'endpoints/s',
      'status writes',
      'events',
      'operator CPU s',
      'peak RSS MiB',
      'raw status patches/s',
      'ratio',
      'client-node patches/s',
    ].join(' | '),
  );
  for (const r of results) {
    console.log(
      [
        r.n,
        f(r.createS, 2),
        f(r.readyS, 2),
        f(r.eventsS, 2),
        f(r.afterLastCreateS, 2),
        f(r.perSecond, 0),
        r.statusWrites,
        r.eventsPosted,
        f(r.operatorCpuS, 1),
        f(r.peakRssMiB, 0),
        f(r.rawPerSecond, 0),
        `${f(r.perSecond / r.rawPerSecond, 2)}x`,
        f(r.clientNodePerSecond, 0),
      ].join(' | '),
    );
  }
  console.log(
    'ratio = operator endpoints/s / raw status patches/s (same client, same concurrency). Per endpoint the operator writes its status once and posts one Ready event, so 0.5x is the two-writes-per-endpoint ceiling.',
  );
}
