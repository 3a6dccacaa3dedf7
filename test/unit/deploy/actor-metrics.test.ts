// ActorMetrics reads XState's inspection stream: actors by machine and state (leaving the gauge when stopped), one
// reconcile per pass from first effect to rest with its result and duration, and backend-session counters taken
// from the session's own context counters (never double-counted).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, createActor, fromPromise, setup, waitFor } from 'xstate';
import {
  DEPRECATED_KINDS,
  deprecationEvent,
  deprecationEventName,
  seriesBump,
} from '../../../src/controllers/deprecation/deprecation-event.ts';
import { ActorMetrics, combineInspectors } from '../../../src/runtime/metrics/actor-metrics.ts';

async function values(registry: Registry, name: string) {
  const m = registry.getSingleMetric(name);
  return m ? (await m.get()).values : [];
}

/** A stand-in reconciler named like the endpoint machine: observe (an effect), then rest in ready or failed. */
function reconciler(outcomes: boolean[]) {
  let n = 0;
  return setup({
    actors: {
      observe: fromPromise(async () => {
        await new Promise((r) => setTimeout(r, 5));
        return outcomes[n++] ?? true;
      }),
    },
  }).createMachine({
    id: 'endpoint',
    initial: 'observing',
    states: {
      observing: {
        invoke: {
          src: 'observe',
          onDone: [{ guard: ({ event }) => event.output, target: 'ready' }, { target: 'failed' }],
        },
      },
      ready: { on: { LOOK_AGAIN: 'observing' } },
      failed: { on: { LOOK_AGAIN: 'observing' } },
    },
  });
}

/** Waits until the reconciler rests (its observe effect, a promise, has resolved). */
const rested = (actor: AnyActorRef) =>
  waitFor(actor, (s) => s.matches('ready') || s.matches('failed'), { timeout: 5000 });

describe('ActorMetrics', () => {
  it('counts reconcile passes by result with durations, and actors by state until they stop', async () => {
    const registry = new Registry();
    const metrics = new ActorMetrics(registry);
    const a = createActor(reconciler([true, false]), { inspect: metrics.inspect }).start();
    const b = createActor(reconciler([true]), { inspect: metrics.inspect }).start();
    await rested(a);
    await rested(b);
    expect(await values(registry, 'mcpre_actors')).toEqual(
      expect.arrayContaining([expect.objectContaining({ labels: { machine: 'endpoint', state: 'ready' }, value: 2 })]),
    );
    expect(metrics.busy('mcpremoteendpoint')).toBe(0);
    a.send({ type: 'LOOK_AGAIN' });
    expect(metrics.busy('mcpremoteendpoint')).toBe(1);
    await rested(a);
    const reconciles = await values(registry, 'mcpre_reconciles_total');
    const of = (result: string) =>
      reconciles.find((v) => v.labels.result === result && v.labels.controller === 'mcpremoteendpoint')?.value;
    expect(of('ready')).toBe(2);
    expect(of('failed')).toBe(1);
    const durations = await values(registry, 'mcpre_reconcile_duration_seconds');
    const sum =
      durations.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum') && v.labels.result === 'ready')
        ?.value ?? 0;
    expect(sum).toBeGreaterThanOrEqual(0.008); // two passes of at least 5 ms each
    expect(sum).toBeLessThan(1);
    a.stop();
    b.stop();
    const live = (await values(registry, 'mcpre_actors')).filter((v) => v.value !== 0);
    expect(live).toEqual([]);
  });

  it('counts backend-session re-initializations and circuit openings from the context counters', async () => {
    const registry = new Registry();
    const metrics = new ActorMetrics(registry);
    // Shaped like the backend session: the counters live in context and only ever grow.
    const session = setup({
      types: { context: {} as { backendId: string; reinitializations: number; circuitOpenings: number } },
    }).createMachine({
      id: 'backendSession',
      context: { backendId: 'b1', reinitializations: 0, circuitOpenings: 0 },
      initial: 'connecting',
      states: {
        connecting: {
          on: { DROP: { actions: assign({ reinitializations: ({ context }) => context.reinitializations + 1 }) } },
        },
        unavailable: {},
      },
      on: {
        TRIP: {
          target: '.unavailable',
          actions: assign({ circuitOpenings: ({ context }) => context.circuitOpenings + 1 }),
        },
        NOOP: {},
      },
    });
    const other: string[] = [];
    const actor = createActor(session, {
      inspect: combineInspectors(metrics.inspect, (e) => other.push(e.type)),
    }).start();
    actor.send({ type: 'DROP' });
    actor.send({ type: 'NOOP' });
    actor.send({ type: 'DROP' });
    actor.send({ type: 'TRIP' });
    const get = async (name: string) => (await values(registry, name)).find((v) => v.labels.backend === 'b1')?.value;
    expect(await get('mcpre_backend_session_reinitializations_total')).toBe(2);
    expect(await get('mcpre_backend_session_circuit_openings_total')).toBe(1);
    expect(other.length).toBeGreaterThan(0);
    expect(await values(registry, 'mcpre_actors')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { machine: 'backendSession', state: 'unavailable' }, value: 1 }),
      ]),
    );
    actor.stop();
  });
});

describe('deprecation events', () => {
  const obj = {
    apiVersion: 'toolhive.stacklok.dev/v1beta1',
    kind: 'MCPRemoteProxy',
    namespace: 'team',
    name: 'legacy',
    uid: '0b7a1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d',
  };
  const kind = DEPRECATED_KINDS[0]!;

  it('names one event per object (stable across calls, distinct for a re-created object)', () => {
    expect(deprecationEventName(obj)).toBe(deprecationEventName({ ...obj }));
    expect(deprecationEventName(obj)).not.toBe(
      deprecationEventName({ ...obj, uid: 'ffffffff-0000-0000-0000-000000000000' }),
    );
    expect(deprecationEventName({ ...obj, name: 'x'.repeat(253) }).length).toBeLessThanOrEqual(253);
  });

  it('is a Warning naming the replacement and the migrate command, and bumps its series', () => {
    const e = deprecationEvent(kind, obj, '2026-01-01T00:00:00.000000Z', 'pod-1');
    expect(e).toMatchObject({
      type: 'Warning',
      reason: 'Deprecated',
      regarding: { kind: 'MCPRemoteProxy', uid: obj.uid },
    });
    expect(e.note).toContain('MCPRemoteEndpoint with type: proxy');
    expect(e.note).toContain('mcpre migrate -f -');
    expect(e.note.length).toBeLessThanOrEqual(1024);
    expect(seriesBump(1, 't')).toEqual({ series: { count: 2, lastObservedTime: 't' } });
    expect(seriesBump(4, 't').series.count).toBe(5);
  });

  it('counts keys kept at rest without an actor in their state, as read at each scrape', async () => {
    const registry = new Registry();
    const metrics = new ActorMetrics(registry);
    const resting: Record<string, number> = { ready: 2, failed: 1 };
    metrics.countResting('endpoint', () => ({ ...resting }));
    const gauge = async () =>
      Object.fromEntries(
        (await values(registry, 'mcpre_actors')).map((v) => [`${v.labels.machine}/${v.labels.state}`, v.value]),
      );
    expect(await gauge()).toEqual({ 'endpoint/ready': 2, 'endpoint/failed': 1 });
    // A live actor of the same machine adds to the same series (the state it left stays at 0).
    const actor = createActor(reconciler([true]), { inspect: metrics.inspect });
    actor.start();
    await waitFor(actor, (s) => s.matches('ready'));
    expect(await gauge()).toEqual({ 'endpoint/ready': 3, 'endpoint/failed': 1, 'endpoint/observing': 0 });
    resting.failed = 0;
    resting.ready = 5;
    expect(await gauge()).toEqual({ 'endpoint/ready': 6, 'endpoint/failed': 0, 'endpoint/observing': 0 });
    actor.stop();
    expect(await gauge()).toEqual({ 'endpoint/ready': 5, 'endpoint/failed': 0, 'endpoint/observing': 0 });
  });
});
