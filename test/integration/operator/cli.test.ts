// `mcpre operator` as a process: JSON logs, --namespace scoping, clean exit on SIGTERM, and clear errors for bad flags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperatorProcess as runCli } from '../deploy/operator-process.ts';
import { directSpec, type Env, endpointBody, groupBody, R, startEnv, waitForEndpoint } from './harness.ts';

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env?.stop());

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
      const ready = await run.waitForLog('ready', 20_000);
      expect(ready.level).toBe(30);
      // Its caches hold its namespace only: the other namespace's endpoint is not even known to it.
      const synced = await run.waitForLog('caches synced; reconciling', 20_000);
      expect(synced).toMatchObject({ namespace: mine, endpoints: 1, groups: 1 });
      await waitForEndpoint(env, mine, 'ctx', 'Ready', (e) => e.status?.phase === 'Ready');
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
    expect(run.stderr()).toContain('--log-level loud: use one of fatal, error, warn, info, debug, trace');
  });

  it('says how to point it at a cluster when there is none', async () => {
    const run = runCli([]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('pass --kubeconfig FILE');
  });

  it('rejects an invalid --namespace', async () => {
    const run = runCli(['--kubeconfig', env.cp.kubeconfigPath, '--namespace', 'Not_A_Namespace']);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('is not a valid namespace name');
  });
});
