// Two `mcpre gateway` processes with one Lease on the real control plane: exactly one serves (ready, direct backend
// open); SIGKILL of the holder hands over within the Lease duration plus two retry periods; SIGTERM of the holder
// releases the Lease, so the other takes over within about one retry period.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningChild, servingUrl, spawnMcpre } from '../../support/child-process.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { eventually, until } from '../../support/eventually.ts';

const lease = { durationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

interface Replica {
  name: string;
  process: RunningChild;
  url: URL;
}

/** The gatewayReplica actor as the replica's /debug/actors view shows it. */
interface ReplicaChart {
  value: unknown;
  context: { identity?: string; holder?: string };
  transitions: Array<{ to: unknown }>;
}

async function ready(r: Replica): Promise<boolean> {
  if (r.process.child.exitCode !== null || r.process.child.signalCode !== null) return false;
  try {
    const res = await fetch(new URL('/readyz', r.url), { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function chart(r: Replica): Promise<ReplicaChart> {
  const res = await fetch(new URL('/debug/actors.json', r.url), { signal: AbortSignal.timeout(1000) });
  const view = (await res.json()) as { actors: Array<ReplicaChart & { machine: string }> };
  const actor = view.actors.find((a) => a.machine === 'gatewayReplica');
  if (!actor) throw new Error(`${r.name}: no gatewayReplica actor in /debug/actors`);
  return actor;
}

/** How many Lease attempts the replica made that found the Lease held by someone else (trying -> waiting). */
const attemptsRefused = (c: ReplicaChart) =>
  c.transitions.filter((t) => JSON.stringify(t.to) === '{"standby":"waiting"}').length;

/** Waits until the replica has tried for the Lease `n` times and was refused each time; returns what it saw last. */
async function refusedAttempts(r: Replica, n: number): Promise<ReplicaChart> {
  return eventually(`${r.name}: ${n} refused Lease attempts`, async () => {
    const c = await chart(r);
    return attemptsRefused(c) >= n ? c : undefined;
  });
}

/** Milliseconds until `check` holds (bounded by `timeoutMs`). */
async function timeUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await until(what, check, { timeoutMs, intervalMs: 100 });
  return performance.now() - started;
}

describe('two gateway replicas on one Lease', () => {
  let cp: ControlPlane;
  let backend: DemoBackend;
  let dir: string;
  let configPath: string;
  const replicas: Replica[] = [];

  async function spawnReplica(name: string): Promise<Replica> {
    const child = spawnMcpre(
      ['gateway', '--port', '0', '--config', configPath, '--kubeconfig', cp.kubeconfigPath, '--debug'],
      { ...process.env, POD_NAME: name, KUBERNETES_SERVICE_HOST: '' },
    );
    const replica = { name, process: child, url: await servingUrl(child) };
    replicas.push(replica);
    return replica;
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
    for (const r of replicas) await r.process.stop(0);
    await backend?.close();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('only one serves; SIGKILL hands over after the Lease lapses, SIGTERM hands over at once', async () => {
    const a = await spawnReplica('replica-a');
    await timeUntil('replica-a ready', () => ready(a), 15_000);
    const holderA = (await chart(a)).context.identity;
    expect(holderA).toMatch(/^replica-a_/);
    const b = await spawnReplica('replica-b');
    // b stays on standby while a renews: b's attempts, one a retry period apart, each find a holding the Lease, for
    // longer than one Lease duration.
    const attempts = lease.durationSeconds / lease.retryPeriodSeconds + 2;
    for (let n = 1; n <= attempts; n++) {
      const seen = await refusedAttempts(b, n);
      expect(seen.context.holder).toBe(holderA);
      expect([await ready(a), await ready(b)]).toEqual([true, false]);
    }
    expect(backend.sessionCount()).toBe(1);

    a.process.child.kill('SIGKILL');
    const crashHandover = await timeUntil('replica-b ready', () => ready(b), 15_000);
    // Lease duration + two retry periods (see the unit test for why), plus process and HTTP slack.
    expect(crashHandover).toBeLessThan((lease.durationSeconds + 2 * lease.retryPeriodSeconds + 1) * 1000);
    const holderB = (await chart(b)).context.identity;

    const c = await spawnReplica('replica-c');
    // c has asked for the Lease and found b holding it: it stays on standby.
    const refused = await refusedAttempts(c, 1);
    expect(refused.context.holder).toBe(holderB);
    expect(await ready(c)).toBe(false);
    b.process.child.kill('SIGTERM');
    expect(await b.process.exited).toBe(0);
    const gracefulHandover = await timeUntil('replica-c ready', () => ready(c), 10_000);
    expect(gracefulHandover).toBeLessThan((lease.retryPeriodSeconds + 1.5) * 1000);
    process.stdout.write(
      `gateway Lease handover: crash ${Math.round(crashHandover)} ms, graceful ${Math.round(gracefulHandover)} ms (duration ${lease.durationSeconds} s, retry ${lease.retryPeriodSeconds} s)\n`,
    );
  });
});
