// Two `mcpre gateway` processes with one Lease on the real control plane: exactly one serves (ready, direct backend
// open); SIGKILL of the holder hands over within the Lease duration plus two retry periods; SIGTERM of the holder
// releases the Lease, so the other takes over within about one retry period.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBackend, startDemoBackend } from '../../../src/runtime/gateway/demo-backend.ts';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../../support/control-plane.ts';

const lease = { durationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

interface Replica {
  name: string;
  child: ChildProcess;
  url: URL;
  stderr: () => string;
}

async function ready(r: Replica): Promise<boolean> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return false;
  try {
    const res = await fetch(new URL('/readyz', r.url), { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

describe('two gateway replicas on one Lease', () => {
  let cp: ControlPlane;
  let backend: DemoBackend;
  let dir: string;
  let configPath: string;
  const replicas: Replica[] = [];

  async function spawnReplica(name: string): Promise<Replica> {
    const child = spawn(
      process.execPath,
      [
        'src/cli.ts',
        'gateway',
        '--port',
        '0',
        '--config',
        configPath,
        '--kubeconfig',
        cp.kubeconfigPath,
        '--log-level',
        'info',
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, POD_NAME: name, KUBERNETES_SERVICE_HOST: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const url = await new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no URL in 20 s: ${stderr}`)), 20_000);
      child.stdout!.on('data', (d) => {
        stdout += d;
        const m = /serving MCP at (\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(new URL(m[1]!));
        }
      });
      child.once('exit', (code) => reject(new Error(`${name} exited ${code}: ${stderr}`)));
    });
    const replica = { name, child, url, stderr: () => stderr };
    replicas.push(replica);
    return replica;
  }

  async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      if (await check()) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`condition not met within ${timeoutMs} ms`);
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    const namespace = await cp.namespace('gw-lease');
    backend = await startDemoBackend({ label: 'direct' });
    dir = await mkdtemp(join(tmpdir(), 'mcpre-gw-lease-'));
    configPath = join(dir, 'gateway.yaml');
    await writeFile(
      configPath,
      JSON.stringify({
        name: 'team-gateway',
        backends: [{ name: 'remote', url: backend.url.href, type: 'direct' }],
        lease: { name: 'team-gateway', namespace, ...lease },
      }),
    );
  });

  afterAll(async () => {
    for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await backend?.close();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('only one serves; SIGKILL hands over after the Lease lapses, SIGTERM hands over at once', async () => {
    const a = await spawnReplica('replica-a');
    await waitFor(() => ready(a), 15_000);
    const b = await spawnReplica('replica-b');
    // b stays on standby while a renews: sample for a few Lease periods.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 500));
      expect([await ready(a), await ready(b)]).toEqual([true, false]);
    }
    expect(backend.sessionCount()).toBe(1);

    a.child.kill('SIGKILL');
    const crashHandover = await waitFor(() => ready(b), 15_000);
    // Lease duration + two retry periods (see the unit test for why), plus process and HTTP slack.
    expect(crashHandover).toBeLessThan((lease.durationSeconds + 2 * lease.retryPeriodSeconds + 1) * 1000);

    const c = await spawnReplica('replica-c');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ready(c)).toBe(false);
    const exited = new Promise<number | null>((resolve) => b.child.once('exit', (code) => resolve(code)));
    b.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const gracefulHandover = await waitFor(() => ready(c), 10_000);
    expect(gracefulHandover).toBeLessThan((lease.retryPeriodSeconds + 1.5) * 1000);
    process.stdout.write(
      `gateway Lease handover: crash ${Math.round(crashHandover)} ms, graceful ${Math.round(gracefulHandover)} ms (duration ${lease.durationSeconds} s, retry ${lease.retryPeriodSeconds} s)\n`,
    );
  });
});
