// The gatewayReplica chart with the real Lease actors over an in-memory API (resourceVersions, 404, 409) on one
// SimulatedClock: no I/O and no real time, so every Lease number is checked exactly.

import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, SimulatedClock, waitFor } from 'xstate';
import { type KubeApi, KubeApiError, type KubeRequest } from '../../../src/actors/kube/kube-api.ts';
import { createLeaseActors } from '../../../src/actors/lease/lease-actors.ts';
import type { LeaseObject } from '../../../src/actors/lease/lease-record.ts';
import { gatewayReplicaMachine } from '../../../src/machines/gateway-replica.ts';

class FakeLeaseApi implements KubeApi {
  readonly leases = new Map<string, LeaseObject>();
  rv = 0;
  failing = false;
  writes = 0;

  async request<T>(req: KubeRequest): Promise<T> {
    if (this.failing) throw new KubeApiError('apiserver unavailable', 503);
    const path = req.path;
    if (req.method === 'GET') {
      const lease = this.leases.get(path);
      if (!lease) throw new KubeApiError('not found', 404, 'NotFound');
      return structuredClone(lease) as T;
    }
    const body = structuredClone(req.body as LeaseObject);
    const key = req.method === 'POST' ? `${path}/${body.metadata.name}` : path;
    const existing = this.leases.get(key);
    if (req.method === 'POST' && existing) throw new KubeApiError('exists', 409, 'AlreadyExists');
    if (req.method === 'PUT') {
      if (!existing) throw new KubeApiError('not found', 404, 'NotFound');
      if (body.metadata.resourceVersion !== existing.metadata.resourceVersion)
        throw new KubeApiError('conflict', 409, 'Conflict');
    }
    body.metadata.resourceVersion = String(++this.rv);
    this.leases.set(key, body);
    this.writes++;
    return structuredClone(body) as T;
  }

  get lease(): LeaseObject | undefined {
    return [...this.leases.values()][0];
  }
}

const input = (identity: string) => ({
  identity,
  namespace: 'tools',
  leaseName: 'team-gateway',
  durationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
});

function world() {
  const clock = new SimulatedClock();
  const api = new FakeLeaseApi();
  const leaseClock = {
    nowMs: () => clock.now(),
    microTime: (ms: number) => new Date(ms).toISOString().replace('Z', '000Z'),
  };
  const actors: AnyActorRef[] = [];
  const start = (identity: string) => {
    const actor = createActor(gatewayReplicaMachine.provide({ actors: createLeaseActors(api, leaseClock) }), {
      clock,
      input: input(identity),
    }).start();
    actors.push(actor);
    return actor;
  };
  /** Every replica has its Lease request, if any, answered (they are promises; timers run only on the clock). */
  const settled = () =>
    Promise.all(
      actors.map((a) =>
        waitFor(a, (s) => s.status !== 'active' || Object.keys(s.children).length === 0, { timeout: 2000 }),
      ),
    );
  /** Advance simulated time in small steps, letting the Lease requests a step started be answered. */
  const advance = async (ms: number, step = 100) => {
    await settled();
    for (let t = 0; t < ms; t += step) {
      clock.increment(Math.min(step, ms - t));
      await settled();
    }
  };
  return { clock, api, start, advance };
}

const serving = (a: { getSnapshot(): { hasTag(t: 'serving'): boolean } }) => a.getSnapshot().hasTag('serving');

describe('gatewayReplica', () => {
  it('a lone replica creates the Lease, becomes active and renews every retry period', async () => {
    const w = world();
    const a = w.start('pod-a');
    await w.advance(0);
    expect(serving(a)).toBe(true);
    expect(w.api.lease?.spec).toMatchObject({ holderIdentity: 'pod-a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const writes = w.api.writes;
    await w.advance(2000);
    expect(w.api.writes).toBe(writes + 1);
    await w.advance(8000);
    expect(w.api.writes).toBe(writes + 5);
    expect(serving(a)).toBe(true);
    a.stop();
  });

  it('of two replicas exactly one serves; the other takes over only after the Lease duration when the holder dies', async () => {
    const w = world();
    const a = w.start('pod-a');
    await w.advance(0);
    const b = w.start('pod-b');
    await w.advance(0);
    expect([serving(a), serving(b)]).toEqual([true, false]);
    expect(b.getSnapshot().context.holder).toBe('pod-a');

    // Both keep running: b never serves while a renews.
    for (let i = 0; i < 30; i++) {
      await w.advance(1000);
      expect(serving(a) && serving(b)).toBe(false);
      expect(serving(a)).toBe(true);
    }

    // a dies without releasing (a crash): b waits out the Lease duration, counted by b's own clock from when it last
    // saw a renewal (client-go's rule, safe against clock skew). b saw the last renewal at most one retry period after
    // it happened and notices expiry at most one retry period late: 15 s - 2 s <= takeover <= 15 s + 2 x 2 s.
    a.stop();
    const diedAt = w.clock.now();
    while (!serving(b) && w.clock.now() - diedAt < 30_000) await w.advance(100);
    const takeover = w.clock.now() - diedAt;
    expect(takeover).toBeGreaterThanOrEqual(13_000);
    expect(takeover).toBeLessThanOrEqual(15_000 + 4000);
    expect(w.api.lease?.spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
    b.stop();
  });

  it('STOP releases the Lease so a standby replica takes over within one retry period', async () => {
    const w = world();
    const a = w.start('pod-a');
    await w.advance(0);
    const b = w.start('pod-b');
    await w.advance(1000);
    a.send({ type: 'STOP' });
    await w.advance(0);
    expect(a.getSnapshot().status).toBe('done');
    expect(w.api.lease?.spec?.holderIdentity).toBeNull();
    const releasedAt = w.clock.now();
    while (!serving(b) && w.clock.now() - releasedAt < 10_000) await w.advance(100);
    expect(w.clock.now() - releasedAt).toBeLessThanOrEqual(2000);
    b.stop();
  });

  it('stops serving when renewals fail for the renew deadline, before the Lease could expire for others', async () => {
    const w = world();
    const a = w.start('pod-a');
    await w.advance(0);
    w.api.failing = true;
    const failingFrom = w.clock.now();
    while (serving(a) && w.clock.now() - failingFrom < 30_000) await w.advance(100);
    const stepDown = w.clock.now() - failingFrom;
    // The deadline counts from the last successful renewal, which was at most one retry period before the failures.
    expect(stepDown).toBeGreaterThan(8000);
    expect(stepDown).toBeLessThanOrEqual(10_000);
    expect(stepDown).toBeLessThan(15_000);
    expect(a.getSnapshot().context.lastError).toMatch(/unavailable/);
    // When the API recovers and nobody else took the Lease, a gets it back.
    w.api.failing = false;
    await w.advance(2000);
    expect(serving(a)).toBe(true);
    expect(a.getSnapshot().context.activations).toBe(2);
    a.stop();
  });

  it('steps down at once when a renewal finds another holder', async () => {
    const w = world();
    const a = w.start('pod-a');
    await w.advance(0);
    // Someone else (an operator forcing a handover) writes the Lease.
    const lease = w.api.lease!;
    lease.spec = { ...lease.spec, holderIdentity: 'pod-z' };
    lease.metadata.resourceVersion = String(++w.api.rv);
    await w.advance(2000);
    expect(serving(a)).toBe(false);
    expect(a.getSnapshot().context.holder).toBe('pod-z');
    a.stop();
  });

  it('a STOP on standby ends without touching the Lease', async () => {
    const w = world();
    const a = w.start('pod-a');
    await w.advance(0);
    const b = w.start('pod-b');
    await w.advance(0);
    const writes = w.api.writes;
    b.send({ type: 'STOP' });
    await w.advance(0);
    expect(b.getSnapshot().status).toBe('done');
    expect(w.api.writes).toBe(writes);
    a.stop();
  });
});
