// `mcpre operator` as a process: JSON logs, --namespace scoping, clean exit on SIGTERM, and clear errors for bad flags.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { directSpec, type Env, endpointBody, groupBody, R, startEnv, waitForEndpoint } from './harness.ts';

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env?.stop());

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
}

function runCli(args: string[], extraEnv: Record<string, string | undefined> = {}): Running {
  const child = spawn(process.execPath, ['src/cli.ts', 'operator', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KUBERNETES_SERVICE_HOST: undefined, KUBECONFIG: undefined, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ raw: line });
      }
      nl = buf.indexOf('\n');
    }
  });
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, stderr, exited };
}

async function waitForLog(run: Running, msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = run.lines.find((l) => l.msg === msg);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no "${msg}" log line; got: ${JSON.stringify(run.lines)} ${run.stderr.join('')}`);
}

describe('mcpre operator', () => {
  it('logs JSON, reconciles only its --namespace, and exits 0 on SIGTERM', async () => {
    const mine = await env.cp.namespace('cli-mine');
    const other = await env.cp.namespace('cli-other');
    for (const ns of [mine, other]) {
      await env.kube.create(R.group, ns, groupBody('engineering'));
      await env.kube.create(R.endpoint, ns, endpointBody('ctx', directSpec()));
    }
    const run = runCli(['--kubeconfig', env.cp.kubeconfigPath, '--namespace', mine, '--log-level', 'debug']);
    try {
      const ready = await waitForLog(run, 'ready');
      expect(ready.level).toBe(30);
      await waitForEndpoint(env, mine, 'ctx', 'Ready', (e) => e.status?.phase === 'Ready');
      await new Promise((r) => setTimeout(r, 300));
      expect((await env.kube.get(R.endpoint, other, 'ctx')).status).toBeUndefined();
    } finally {
      run.child.kill('SIGTERM');
    }
    const code = await run.exited;
    expect(code).toBe(0);
    expect(run.lines.map((l) => l.msg)).toContain('stopped');
  });

  it('rejects a bad --log-level with a message that lists the valid ones', async () => {
    const run = runCli(['--kubeconfig', env.cp.kubeconfigPath, '--log-level', 'loud']);
    expect(await run.exited).toBe(1);
    expect(run.stderr.join('')).toContain('--log-level loud: use one of fatal, error, warn, info, debug, trace');
  });

  it('says how to point it at a cluster when there is none', async () => {
    const run = runCli([]);
    expect(await run.exited).toBe(1);
    expect(run.stderr.join('')).toContain('pass --kubeconfig FILE');
  });

  it('rejects an invalid --namespace', async () => {
    const run = runCli(['--kubeconfig', env.cp.kubeconfigPath, '--namespace', 'Not_A_Namespace']);
    expect(await run.exited).toBe(1);
    expect(run.stderr.join('')).toContain('is not a valid namespace name');
  });
});
