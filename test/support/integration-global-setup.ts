// Runs once before the integration project, outside every test and hook timeout (vitest's globalSetup has none):
// resolves, and on a cold machine builds from Go modules, everything slow that the tests need, printing its progress,
// so that no test file pays minutes of build inside its own time limit. The tests read the results from the
// environment, which the test workers inherit: KUBEBUILDER_ASSETS (kube-apiserver, etcd, kubectl), HELM_BIN and
// JAEGER_BIN, and REDIS_SERVER_BIN (Debian's redis-server, installed by scripts/install-system-deps.sh).
// Any of these variables set beforehand is used as it is, and nothing is built for it.
import { spawnSync } from 'node:child_process';
import { ensureControlPlaneBinaries } from '../../src/control-plane/binaries.ts';
import { runSetupScript } from './setup-script.ts';

const say = (line: string) => process.stderr.write(`[integration setup] ${line}\n`);

async function step<T>(what: string, run: () => Promise<T>, show: (value: T) => string): Promise<T> {
  const started = Date.now();
  say(`${what}: looking in the cache (when missing, built now from Go modules: minutes on a first run) ...`);
  const value = await run();
  say(`${what}: ${show(value)} (${Math.round((Date.now() - started) / 1000)} s)`);
  return value;
}

/** scripts/setup-helm.sh: HELM_BIN when set, else the cached build, else a build; its progress goes to our stderr. */
function ensureHelm(): Promise<string> {
  return runSetupScript('setup-helm.sh');
}

/** scripts/setup-jaeger.sh: JAEGER_BIN when set, else the cached build, else a build (the tracing tests' Jaeger). */
function ensureJaeger(): Promise<string> {
  return runSetupScript('setup-jaeger.sh');
}

/** redis-server from Debian (scripts/install-system-deps.sh): REDIS_SERVER_BIN when set, else the one on PATH. */
function resolveRedisServer(): string {
  const set = process.env.REDIS_SERVER_BIN;
  const bin = set || spawnSync('bash', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!bin || spawnSync(bin, ['--version']).status !== 0)
    throw new Error(
      `redis-server ${set ? `(REDIS_SERVER_BIN=${set}) does not run` : 'is not on PATH'}: run scripts/install-system-deps.sh as root (Debian package redis-server)`,
    );
  return bin;
}

export default async function setup(): Promise<void> {
  const binaries = await step('control-plane binaries', ensureControlPlaneBinaries, (b) => b.dir);
  process.env.KUBEBUILDER_ASSETS = binaries.dir;
  process.env.HELM_BIN = await step('helm', ensureHelm, (path) => path);
  process.env.JAEGER_BIN = await step('jaeger', ensureJaeger, (path) => path);
  process.env.REDIS_SERVER_BIN = resolveRedisServer();
}
