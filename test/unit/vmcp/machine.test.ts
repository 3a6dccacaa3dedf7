// The virtualMcpServer chart with its effects swapped for in-memory ones, on a simulated clock: the paths it takes,
// the calls it makes, and the calls it does not make (no write when nothing changed).

import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, fromPromise, SimulatedClock, waitFor } from 'xstate';
import type { VmcpCaches } from '../../../src/actors/kube/vmcp-caches.ts';
import { vmcpSnapshotFromCaches } from '../../../src/actors/kube/vmcp-observe.ts';
import type { Deployment, Endpoint, Group, KubeObject } from '../../../src/api/endpoint/model.ts';
import type { VirtualMCPServer } from '../../../src/api/vmcp/model.ts';
import type { VmcpSnapshot } from '../../../src/api/vmcp/snapshot.ts';
import {
  type VmcpApplyInput,
  type VmcpObserveInput,
  type VmcpWriteStatusInput,
  virtualMcpServerMachine,
} from '../../../src/machines/virtual-mcp-server.ts';
import { direct, group, NOW, NS, proxy, vmcp } from './fixtures.ts';

class World implements VmcpCaches {
  vmcps = new Map<string, VirtualMCPServer>();
  groups = new Map<string, Group>();
  endpoints: Endpoint[] = [];
  objects = new Map<string, KubeObject>();
  vmcp = (_ns: string, name: string) => this.vmcps.get(name);
  group = (_ns: string, name: string) => this.groups.get(name);
  groupMembers = (_ns: string, g: string) => this.endpoints.filter((e) => e.spec.groupRef === g);
  authConfig = () => undefined;
  toolConfig = () => undefined;
  configMap = (_ns: string, name: string) => this.objects.get(`ConfigMap/${name}`);
  secret = () => undefined;
  owned = (kind: string, _ns: string, name: string) => this.objects.get(`${kind}/${name}`);
  offerVmcp = (v: VirtualMCPServer) => void this.vmcps.set(v.metadata.name, v);
}

interface Calls {
  observe: VmcpObserveInput[];
  apply: VmcpApplyInput[];
  status: VmcpWriteStatusInput[];
}

function run(world: World, failures: { apply?: unknown[]; status?: unknown[] } = {}) {
  const calls: Calls = { observe: [], apply: [], status: [] };
  const clock = new SimulatedClock();
  const machine = virtualMcpServerMachine.provide({
    actors: {
      observe: fromPromise<VmcpSnapshot, VmcpObserveInput>(async ({ input }) => {
        calls.observe.push(input);
        return vmcpSnapshotFromCaches(world, world.vmcps.get(input.key.name) ?? null, NOW);
      }),
      applyObjects: fromPromise<KubeObject[], VmcpApplyInput>(async ({ input }) => {
        calls.apply.push(input);
        const failure = failures.apply?.shift();
        if (failure) throw failure;
        // As the API server would store them: a Deployment's generation moves on every change of its spec.
        return input.apply.map((m) => {
          const prev = world.objects.get(`${m.kind}/${m.metadata.name}`);
          const generation = (prev?.metadata.generation ?? 0) + 1;
          const stored = { ...m, metadata: { ...m.metadata, generation } };
          world.objects.set(`${m.kind}/${m.metadata.name}`, stored);
          return stored;
        });
      }),
      writeStatus: fromPromise<VirtualMCPServer | null, VmcpWriteStatusInput>(async ({ input }) => {
        calls.status.push(input);
        const failure = failures.status?.shift();
        if (failure) throw failure;
        const current = world.vmcps.get(input.key.name) as VirtualMCPServer;
        const written = {
          ...current,
          metadata: { ...current.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) },
          status: { ...current.status, ...input.status, url: input.status.url ?? undefined },
        };
        world.vmcps.set(input.key.name, written);
        return written;
      }),
    },
  });
  const actor = createActor(machine, {
    input: {
      key: { namespace: NS, name: 'gw' },
      settings: { image: 'mcpre:test' },
      retry: { baseMs: 1000, maxMs: 8000 },
    },
    clock,
  });
  actor.start();
  return { actor, calls, clock };
}

/** Waits until no effect is in flight (the fake effects resolve on promises; timers run only on the clock). */
const settle = (actor: AnyActorRef) =>
  waitFor(actor, (s: { children: Record<string, unknown> }) => Object.keys(s.children).length === 0, { timeout: 5000 });
const top = (value: unknown) => (typeof value === 'string' ? value : Object.keys(value as object)[0]);

function makeDeploymentAvailable(world: World) {
  const d = world.objects.get('Deployment/vmcp-gw') as Deployment;
  world.objects.set('Deployment/vmcp-gw', {
    ...d,
    status: {
      observedGeneration: d.metadata.generation,
      availableReplicas: 1,
      updatedReplicas: 1,
      conditions: [{ type: 'Available', status: 'True' }],
    },
  } as Deployment);
}

function worldWithGroup(): World {
  const w = new World();
  w.vmcps.set('gw', vmcp('gw', { replicas: 2 }));
  w.groups.set('team', group());
  w.endpoints = [direct('search'), proxy('wiki', 'http://wiki.svc:8080/mcp')];
  return w;
}

describe('virtualMcpServer chart', () => {
  it('applies the six objects, waits for the Deployment, then publishes Ready; an unchanged look writes nothing', async () => {
    const world = worldWithGroup();
    const { actor, calls } = run(world);
    await settle(actor);
    expect(top(actor.getSnapshot().value)).toBe('awaitingDeployment');
    expect(calls.apply).toHaveLength(1);
    expect(calls.apply[0]?.apply.map((m) => m.kind)).toEqual([
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
    ]);
    expect(calls.status.map((s) => s.status.phase)).toEqual(['Pending']);

    makeDeploymentAvailable(world);
    actor.send({ type: 'LOOK_AGAIN' });
    await settle(actor);
    expect(top(actor.getSnapshot().value)).toBe('ready');
    expect(calls.apply).toHaveLength(1);
    expect(calls.status.map((s) => s.status.phase)).toEqual(['Pending', 'Ready']);
    expect(calls.status[1]?.status.url).toBe(`http://vmcp-gw.${NS}.svc.cluster.local:4483/mcp`);

    actor.send({ type: 'LOOK_AGAIN' });
    await settle(actor);
    expect(calls.observe).toHaveLength(3);
    expect(calls.apply).toHaveLength(1);
    expect(calls.status).toHaveLength(2);
    actor.stop();
  });

  it('a Deployment that was ready reads as Pending at once after its spec changes (the applied copy wins)', async () => {
    const world = worldWithGroup();
    const { actor, calls } = run(world);
    await settle(actor);
    makeDeploymentAvailable(world);
    actor.send({ type: 'LOOK_AGAIN' });
    await settle(actor);
    world.endpoints = [direct('search'), direct('another'), proxy('wiki', 'http://wiki.svc:8080/mcp')];
    actor.send({ type: 'LOOK_AGAIN' });
    await settle(actor);
    expect(calls.apply.at(-1)?.apply.map((m) => m.kind)).toEqual(['ConfigMap', 'Deployment']);
    expect(calls.status.at(-1)?.status.phase).toBe('Pending');
    expect(top(actor.getSnapshot().value)).toBe('awaitingDeployment');
    actor.stop();
  });

  it('fails without applying when the group is missing, and recovers when it appears', async () => {
    const world = worldWithGroup();
    world.groups.clear();
    const { actor, calls } = run(world);
    await settle(actor);
    expect(top(actor.getSnapshot().value)).toBe('failed');
    expect(calls.apply).toHaveLength(0);
    expect(calls.status[0]?.status.phase).toBe('Failed');
    world.groups.set('team', group());
    actor.send({ type: 'LOOK_AGAIN' });
    await settle(actor);
    expect(calls.apply).toHaveLength(1);
    expect(top(actor.getSnapshot().value)).toBe('awaitingDeployment');
    actor.stop();
  });

  it('looks again from fresh state after a 409 on the status write', async () => {
    const world = worldWithGroup();
    const { actor, calls } = run(world, { status: [{ code: 409, message: 'conflict' }] });
    await settle(actor);
    expect(calls.observe.map((o) => o.fresh)).toEqual([false, true]);
    expect(calls.status).toHaveLength(2);
    expect(top(actor.getSnapshot().value)).toBe('awaitingDeployment');
    actor.stop();
  });

  it('backs off on a 503 from apply and retries after the delay on the actor clock', async () => {
    const world = worldWithGroup();
    const { actor, calls, clock } = run(world, { apply: [{ code: 503, message: 'unavailable' }] });
    await settle(actor);
    expect(top(actor.getSnapshot().value)).toBe('backoff');
    clock.increment(999);
    await settle(actor);
    expect(calls.apply).toHaveLength(1);
    clock.increment(1);
    await settle(actor);
    expect(calls.apply).toHaveLength(2);
    expect(top(actor.getSnapshot().value)).toBe('awaitingDeployment');
    actor.stop();
  });

  it('tags every state that waits for a wake-up or a retry timer quiet, and no state with an effect in flight', async () => {
    // The manager's drain on stop ends once every registry is quiet (src/runtime/kube/manager.ts): a resting
    // VirtualMCPServer that is not tagged quiet holds every SIGTERM for the whole grace period.
    const world = worldWithGroup();
    const { actor, clock } = run(world, { apply: [{ code: 503, message: 'unavailable' }] });
    const seen: { top: string | undefined; quiet: boolean; busy: boolean }[] = [];
    actor.subscribe((s) =>
      seen.push({ top: top(s.value), quiet: s.hasTag('quiet'), busy: Object.keys(s.children).length > 0 }),
    );
    const restsQuietIn = async (state: string) => {
      await settle(actor);
      expect(top(actor.getSnapshot().value)).toBe(state);
      expect(actor.getSnapshot().hasTag('quiet')).toBe(true);
    };
    await restsQuietIn('backoff');
    clock.increment(1000);
    await restsQuietIn('awaitingDeployment');
    makeDeploymentAvailable(world);
    actor.send({ type: 'LOOK_AGAIN' });
    await restsQuietIn('ready');
    world.groups.clear();
    actor.send({ type: 'LOOK_AGAIN' });
    await restsQuietIn('failed');
    world.vmcps.clear();
    actor.send({ type: 'LOOK_AGAIN' });
    await restsQuietIn('gone');
    const busy = seen.filter((s) => s.busy);
    expect(busy.map((s) => s.top)).toEqual(expect.arrayContaining(['observing', 'applying', 'awaitingDeployment']));
    expect(busy.filter((s) => s.quiet)).toEqual([]);
    actor.stop();
  });

  it('publishes Failed with the API server message when an object is rejected (422)', async () => {
    const world = worldWithGroup();
    const { actor, calls } = run(world, { apply: [{ code: 422, message: 'spec.resources: invalid quantity' }] });
    await settle(actor);
    expect(top(actor.getSnapshot().value)).toBe('failed');
    const ready = calls.status[0]?.status.conditions.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ProvisioningFailed' });
    expect(ready?.message).toContain('invalid quantity');
    actor.stop();
  });
});
