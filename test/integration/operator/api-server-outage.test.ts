// The operator outlives its API server's troubles: a kube-apiserver frozen (SIGSTOP) for longer than every client
// timeout, a kube-apiserver restarted on the same port, and watches expired by an etcd compaction (410 Gone). After
// each, a change made afterwards is reconciled (its status is written), and nothing escaped as an uncaught error.
//
// The in-process operators get shorter client timeouts than production (PING every 1 s instead of 30 s, 5 s request
// timeout and watch watchdog instead of 30 s and 150 s) so that a freeze outlasting all of them takes seconds.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../../../src/controllers/endpoint/operator.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import {
  condition,
  directSpec,
  type Env,
  endpointBody,
  eventually,
  groupBody,
  R,
  startEnv,
  waitForEndpoint,
} from './harness.ts';

const SHORT = { pingIntervalMs: 1000, timeoutMs: 5000, connectTimeoutMs: 2000 };
const WATCHDOG_MS = 5000;

let env: Env;
const transports: KubeHttp[] = [];
const escaped: unknown[] = [];
const onEscaped = (err: unknown) => escaped.push(err);

beforeAll(async () => {
  // Secrets are watched straight from etcd (no watch cache), so an etcd compaction expires their watches as it
  // would after a long disconnect in production.
  env = await startEnv({ apiServerArgs: ['--watch-cache-sizes=secrets#0'] });
  process.on('uncaughtException', onEscaped);
  process.on('unhandledRejection', onEscaped);
});

afterEach(async () => {
  await env.cp.running.thawApiServer().catch(() => undefined);
  expect(escaped).toEqual([]);
});

afterAll(async () => {
  process.off('uncaughtException', onEscaped);
  process.off('unhandledRejection', onEscaped);
  await env?.stop();
  await Promise.all(transports.map((t) => t.close()));
});

async function operatorWithShortTimeouts(): Promise<Operator> {
  const http = createKubeHttp(env.cp.kc, { ...SHORT, connections: 8 });
  transports.push(http);
  return env.operator({ http, watchInactivityMs: WATCHDOG_MS });
}

const isReady = (e: { status?: { phase?: string } }) => e.status?.phase === 'Ready';

async function endpointIn(ns: string, name: string, over: Record<string, unknown> = {}): Promise<void> {
  await env.kube.create(R.endpoint, ns, endpointBody(name, directSpec(over)));
}

describe('the operator and an API server in trouble', () => {
  it('survives a freeze longer than every client timeout and reconciles a change made after the thaw', async () => {
    const ns = await env.cp.namespace('frozen');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await endpointIn(ns, 'before');
    const op = await operatorWithShortTimeouts();
    await waitForEndpoint(env, ns, 'before', 'Ready', isReady);

    const watch = op.informers.endpoints.stats;
    const failuresBefore = watch.errors;
    await env.cp.running.freezeApiServer();
    try {
      // Frozen until the endpoint informer has failed twice: its open watch cut by the connection check, and a
      // second attempt (a new connection that cannot finish its TLS handshake, or a silent watch) as well.
      await eventually('two failed watches while frozen', async () => watch.errors >= failuresBefore + 2 || undefined, {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
    } finally {
      await env.cp.running.thawApiServer();
    }

    await endpointIn(ns, 'after');
    await waitForEndpoint(env, ns, 'after', 'Ready', isReady, 60_000);
    await op.stop(2000);
  });

  it('`mcpre operator` reconnects after a restart of the API server and reconciles a change made after it', async () => {
    const ns = await env.cp.namespace('restarted');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await endpointIn(ns, 'before');
    const run = runOperatorProcess(['--kubeconfig', env.cp.kubeconfigPath, '--namespace', ns]);
    try {
      await waitForEndpoint(env, ns, 'before', 'Ready', isReady, 30_000);
      await env.cp.running.restartApiServer();
      await endpointIn(ns, 'after');
      // The informers retry with a backoff of up to 30 s; the restart took the watches down for a while.
      await waitForEndpoint(env, ns, 'after', 'Ready', isReady, 90_000);
      expect(run.child.exitCode).toBeNull();
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(run.output()).not.toMatch(/uncaught|unhandled/i);
  });

  it('relists when a watch expires (410 Gone after an etcd compaction) and then sees changes', async () => {
    const ns = await env.cp.namespace('expired');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    const spec = {
      headerForward: {
        addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: 'creds', key: 'api-key' } }],
      },
    };
    await endpointIn(ns, 'keyed', spec);
    const op = await operatorWithShortTimeouts();
    const waiting = await waitForEndpoint(
      env,
      ns,
      'keyed',
      'waiting for its Secret',
      (e) => e.status?.phase === 'Failed',
    );
    expect(condition(waiting, 'ConfigurationValid')).toMatchObject({ reason: 'HeaderSecretNotFound' });

    const secrets = op.informers.secrets.stats;
    const before = { gone: secrets.gone, lists: secrets.lists };
    // Any write moves etcd's revision past the Secret informer's; compacting there expires the informer's position.
    await env.kube.create(R.configMap, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bump' } });
    await env.cp.running.compactEtcd();
    // The watch, silent (no Secret changes, and etcd sends no bookmarks), is cut by the watchdog and resumed from
    // the compacted revision: 410 Gone, then a fresh list.
    await eventually(
      'a 410 Gone and a relist of Secrets',
      async () => (secrets.gone > before.gone && secrets.lists > before.lists ? true : undefined),
      { timeoutMs: 30_000 },
    );

    await env.kube.create(R.secret, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { 'api-key': 'k' },
    });
    await waitForEndpoint(env, ns, 'keyed', 'Ready once its Secret exists', isReady, 30_000);
    await op.stop(2000);
  });
});

interface OperatorProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

function runOperatorProcess(args: string[]): OperatorProcess {
  const child = spawn(process.execPath, ['src/cli.ts', 'operator', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KUBERNETES_SERVICE_HOST: undefined, KUBECONFIG: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => chunks.join('') };
}
