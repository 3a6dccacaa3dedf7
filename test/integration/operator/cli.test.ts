// `mcpre operator` as a process: JSON logs, --namespace scoping, clean exit on SIGTERM, and clear errors for bad flags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import { markDeploymentAvailable } from '../../support/deployment-status.ts';
import { startOperatorProcess as runCli } from '../deploy/operator-process.ts';
import { directSpec, type Env, endpointBody, eventually, groupBody, R, startEnv, waitForEndpoint } from './harness.ts';

/** The manager's default drain bound on stop (src/runtime/kube/manager.ts). */
const GRACE_MS = 10_000;

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

  it('exits on SIGTERM without waiting out the grace period when a Ready VirtualMCPServer has nothing to do', async () => {
    const ns = await env.cp.namespace('cli-vmcp');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('ctx', directSpec()));
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'VirtualMCPServer',
      metadata: { name: 'gw' },
      spec: { groupRef: 'engineering' },
    });
    const run = runCli(['--kubeconfig', env.cp.kubeconfigPath, '--namespace', ns, '--metrics-port', '0']);
    let signalledAt = 0;
    try {
      const url = String((await run.waitForLog('serving /metrics, /healthz, /readyz and /debug/actors', 20_000)).url);
      await run.waitForLog('ready', 20_000);
      await waitForEndpoint(env, ns, 'ctx', 'Ready', (e) => e.status?.phase === 'Ready');
      // Playing the Deployment controller: each apply (the member's URL arriving changes the config) is a new
      // generation to mark available.
      await eventually(
        'gw Ready',
        async () => {
          if ((await env.kube.get(VIRTUAL_MCP_SERVER, ns, 'gw')).status?.phase === 'Ready') return true;
          await markDeploymentAvailable(env.kube, ns, 'vmcp-gw');
          return undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      // Nothing left to do: the VirtualMCPServer's actor waits in ready.idle for a wake-up.
      await eventually('gw resting in ready.idle', async () => {
        const live = (await (await fetch(new URL('/debug/actors.json', url))).json()) as {
          actors: { id: string; value: unknown }[];
        };
        const gw = live.actors.find((a) => a.id === `virtualMcpServer:${ns}/gw`);
        return JSON.stringify(gw?.value) === JSON.stringify({ ready: 'idle' }) ? true : undefined;
      });
    } finally {
      signalledAt = performance.now();
      run.child.kill('SIGTERM');
    }
    const code = await run.exited;
    const exitMs = performance.now() - signalledAt;
    expect(code).toBe(0);
    expect(run.lines.map((l) => l.msg)).toContain('stopped');
    // A drain that waited for the resting actor would take the whole grace period.
    expect(exitMs).toBeLessThan(GRACE_MS / 2);
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
