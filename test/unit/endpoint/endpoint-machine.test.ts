// The endpoint chart on a simulated clock with fake effect actors: no I/O, no real time.
import { describe, expect, it } from 'vitest';
import { ENDPOINT_FINALIZER } from '../../../src/api/endpoint/proxy-names.ts';
import { FakeWorld, settle } from './fake-world.ts';
import { directEndpoint, proxyEndpoint } from './fixtures.ts';

const availableStatus = {
  observedGeneration: 1,
  replicas: 1,
  updatedReplicas: 1,
  availableReplicas: 1,
  conditions: [{ type: 'Available', status: 'True' }],
};

describe('endpoint machine: direct mode', () => {
  it('pending -> validating -> ready, writes status once, announces Ready', async () => {
    const world = new FakeWorld(directEndpoint());
    const { actor } = world.start();
    expect(actor.getSnapshot().value).toBe('pending');
    const s = await settle(actor);
    expect(s.matches({ ready: 'idle' })).toBe(true);
    expect(world.calls).toEqual(['observe', 'writeStatus', 'recordEvents:Ready']);
    expect(world.endpoint?.status).toMatchObject({
      phase: 'Ready',
      url: 'https://mcp.context7.com/mcp',
      observedGeneration: 1,
    });
    expect(world.endpoint?.metadata.finalizers).toBeUndefined();
  });

  it('a resting actor holds its key and retry bookkeeping, not the objects it read', async () => {
    const world = new FakeWorld(directEndpoint());
    const { actor } = world.start();
    const s = await settle(actor);
    expect(s.matches({ ready: 'idle' })).toBe(true);
    expect(s.context).toMatchObject({ snapshot: null, validation: null, outcome: null, plan: null, proxyPlan: null });
    expect(JSON.stringify(s.context)).not.toContain('mcp.context7.com');
  });

  it('a second look at an unchanged object writes nothing', async () => {
    const world = new FakeWorld(directEndpoint());
    const { actor } = world.start();
    await settle(actor);
    const rv = world.endpoint?.metadata.resourceVersion;
    world.now = '2026-01-02T00:00:00Z';
    actor.send({ type: 'LOOK_AGAIN' });
    await settle(actor);
    expect(world.count('writeStatus')).toBe(1);
    expect(world.endpoint?.metadata.resourceVersion).toBe(rv);
  });

  it('a missing group fails with a Warning event; creating it flips the status on the next look', async () => {
    const world = new FakeWorld(directEndpoint());
    world.around = { group: null };
    const { actor } = world.start();
    let s = await settle(actor);
    expect(s.matches({ failed: 'idle' })).toBe(true);
    expect(world.endpoint?.status?.phase).toBe('Failed');
    expect(world.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'GroupNotFound']]);

    world.around = {};
    actor.send({ type: 'LOOK_AGAIN' });
    s = await settle(actor);
    expect(s.matches({ ready: 'idle' })).toBe(true);
    expect(world.endpoint?.status?.url).toBe('https://mcp.context7.com/mcp');
    expect(world.events.map((e) => e.reason)).toEqual(['GroupNotFound', 'Ready']);
  });

  it('wake-ups during a pass are coalesced into one more look', async () => {
    const world = new FakeWorld(directEndpoint());
    const { actor } = world.start();
    actor.send({ type: 'LOOK_AGAIN' });
    actor.send({ type: 'LOOK_AGAIN' });
    actor.send({ type: 'LOOK_AGAIN' });
    await settle(actor);
    expect(world.count('observe')).toBe(2);
    expect(world.count('writeStatus')).toBe(1);
  });

  it('a 409 on the status write re-reads from the API (fresh) and retries without waiting', async () => {
    const world = new FakeWorld(directEndpoint());
    world.failNext('writeStatus', { code: 409, message: 'conflict' });
    const { actor } = world.start();
    const s = await settle(actor);
    expect(s.matches({ ready: 'idle' })).toBe(true);
    expect(world.calls.slice(0, 4)).toEqual(['observe', 'writeStatus', 'observe:fresh', 'writeStatus']);
  });

  it('5xx and 429 back off on the actor clock, honouring Retry-After', async () => {
    const world = new FakeWorld(directEndpoint());
    world.failNext(
      'writeStatus',
      { code: 503, message: 'unavailable' },
      { code: 429, message: 'slow down', retryAfterMs: 5000 },
    );
    const { actor, clock } = world.start();
    let s = await settle(actor);
    expect(s.matches('backoff')).toBe(true);
    expect(s.context.lastError).toBe('unavailable');
    clock.increment(499);
    expect(actor.getSnapshot().matches('backoff')).toBe(true);
    clock.increment(1);
    s = await settle(actor);
    expect(s.matches('backoff')).toBe(true);
    // Second failure: exponential would be 1 s, but the server asked for 5 s.
    clock.increment(4999);
    expect(actor.getSnapshot().matches('backoff')).toBe(true);
    clock.increment(1);
    s = await settle(actor);
    expect(s.matches({ ready: 'idle' })).toBe(true);
    expect(s.context.attempt).toBe(0);
  });

  it('recovering from a failed look resets the backoff even when there is nothing to write', async () => {
    const world = new FakeWorld(directEndpoint());
    const { actor, clock } = world.start();
    await settle(actor);
    world.failNext('observe', { code: 500, message: 'etcd unavailable' });
    actor.send({ type: 'LOOK_AGAIN' });
    let s = await settle(actor);
    expect(s.matches('backoff')).toBe(true);
    expect(s.context.attempt).toBe(1);
    clock.increment(500);
    s = await settle(actor);
    expect(s.matches({ ready: 'idle' })).toBe(true);
    expect(s.context.attempt).toBe(0);
    expect(world.count('writeStatus')).toBe(1);
  });

  it('an object that is gone leaves the actor idle in gone', async () => {
    const world = new FakeWorld(null);
    const { actor } = world.start();
    const s = await settle(actor);
    expect(s.matches('gone')).toBe(true);
    expect(world.calls).toEqual(['observe']);
  });
});

describe('endpoint machine: proxy mode', () => {
  it('adds the finalizer first, applies the objects, waits for the Deployment, then ready with the Service URL', async () => {
    const world = new FakeWorld(proxyEndpoint());
    const { actor } = world.start();
    let s = await settle(actor);
    expect(s.matches({ awaitingDeployment: 'idle' })).toBe(true);
    expect(world.calls).toEqual([
      'observe',
      `setFinalizers:${ENDPOINT_FINALIZER}`,
      'applyProxy:ServiceAccount,Deployment,Service',
      'writeStatus',
    ]);
    expect(world.endpoint?.status).toMatchObject({ phase: 'Pending' });
    expect(world.endpoint?.status?.url).toBeUndefined();

    // The informer sees the applied Deployment: nothing to re-apply, still waiting.
    actor.send({ type: 'LOOK_AGAIN' });
    s = await settle(actor);
    expect(s.matches({ awaitingDeployment: 'idle' })).toBe(true);
    expect(world.count('applyProxy')).toBe(1);

    world.setDeploymentStatus(availableStatus);
    actor.send({ type: 'LOOK_AGAIN' });
    s = await settle(actor);
    expect(s.matches({ ready: 'idle' })).toBe(true);
    expect(world.endpoint?.status).toMatchObject({
      phase: 'Ready',
      url: 'http://mcpre-internal-api.team-a.svc.cluster.local:8080',
    });
    expect(world.events.map((e) => e.reason)).toEqual(['Ready']);

    // The Deployment loses its replicas: url cleared, NotReady announced.
    world.setDeploymentStatus({
      ...availableStatus,
      availableReplicas: 0,
      conditions: [{ type: 'Available', status: 'False' }],
    });
    actor.send({ type: 'LOOK_AGAIN' });
    s = await settle(actor);
    expect(s.matches({ awaitingDeployment: 'idle' })).toBe(true);
    expect(world.endpoint?.status?.url).toBeUndefined();
    expect(world.events.map((e) => e.reason)).toEqual(['Ready', 'NotReady']);
  });

  it('a 422 on apply is a ProvisioningFailed status, not a retry loop', async () => {
    const world = new FakeWorld(proxyEndpoint());
    world.failNext('applyProxy', { code: 422, message: 'metadata.labels: Invalid value' });
    const { actor } = world.start();
    const s = await settle(actor);
    expect(s.matches({ failed: 'idle' })).toBe(true);
    const ready = world.endpoint?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ProvisioningFailed' });
    expect(ready?.message).toContain('metadata.labels: Invalid value');
  });

  it('deletion: phase Terminating, owned objects removed, then the finalizer', async () => {
    const world = new FakeWorld(proxyEndpoint());
    const { actor } = world.start();
    await settle(actor);
    expect(world.owned.size).toBe(3);
    const ep = world.endpoint;
    if (!ep) throw new Error('endpoint vanished');
    ep.metadata.deletionTimestamp = '2026-01-01T00:10:00Z';
    world.calls = [];
    actor.send({ type: 'LOOK_AGAIN' });
    const s = await settle(actor);
    expect(world.calls).toEqual([
      'observe',
      'writeStatus',
      'deleteOwned:Deployment,Service,ServiceAccount',
      'setFinalizers:',
    ]);
    expect(world.owned.size).toBe(0);
    expect(world.endpoint).toBeNull();
    expect(s.matches('released')).toBe(true);
  });

  it('deletion keeps other controllers finalizers and waits for them', async () => {
    const world = new FakeWorld(proxyEndpoint({}, { finalizers: ['example.com/other'] }));
    const { actor } = world.start();
    await settle(actor);
    expect(world.endpoint?.metadata.finalizers).toEqual(['example.com/other', ENDPOINT_FINALIZER]);
    const ep = world.endpoint;
    if (!ep) throw new Error('endpoint vanished');
    ep.metadata.deletionTimestamp = '2026-01-01T00:10:00Z';
    actor.send({ type: 'LOOK_AGAIN' });
    let s = await settle(actor);
    expect(s.matches('released')).toBe(true);
    expect(world.endpoint?.metadata.finalizers).toEqual(['example.com/other']);
    // Looking again while the other finalizer holds the object changes nothing.
    world.calls = [];
    actor.send({ type: 'LOOK_AGAIN' });
    s = await settle(actor);
    expect(s.matches('released')).toBe(true);
    expect(world.calls).toEqual(['observe']);
  });

  it('an invalid proxy endpoint is not provisioned', async () => {
    const world = new FakeWorld(proxyEndpoint());
    world.around = { group: null };
    const { actor } = world.start();
    const s = await settle(actor);
    expect(s.matches({ failed: 'idle' })).toBe(true);
    expect(world.count('applyProxy')).toBe(0);
    expect(world.endpoint?.status?.conditions?.find((c) => c.type === 'DeploymentReady')).toMatchObject({
      status: 'False',
      reason: 'ValidationFailed',
    });
  });
});
