// A tiny in-memory stand-in for the cluster, behind the endpoint machine's named effect actors. It honours the two API
// semantics the machine relies on (optimistic concurrency on resourceVersion, status written only through the status
// call) and records every effect, so tests can count writes.
import { type AnyActorRef, createActor, fromPromise, SimulatedClock, type SnapshotFrom, waitFor } from 'xstate';
import type { EndpointEvent } from '../../../src/api/endpoint/events.ts';
import type { Deployment, Endpoint, KubeObject } from '../../../src/api/endpoint/model.ts';
import type { EndpointSnapshot } from '../../../src/api/endpoint/snapshot.ts';
import { type EndpointMachine, endpointMachine } from '../../../src/machines/endpoint.ts';
import type {
  ApplyProxyInput,
  DeleteOwnedInput,
  ObserveInput,
  RecordEventsInput,
  SetFinalizersInput,
  WriteStatusInput,
} from '../../../src/machines/endpoint-context.ts';
import { NOW, snapshotOf } from './fixtures.ts';

export interface ApiError {
  code: number;
  message: string;
  retryAfterMs?: number;
}

const clone = <T>(v: T): T => structuredClone(v);

export class FakeWorld {
  endpoint: Endpoint | null;
  around: Partial<EndpointSnapshot> = {};
  owned = new Map<string, KubeObject>();
  now = NOW;
  rv = 100;
  calls: string[] = [];
  events: EndpointEvent[] = [];
  /** Errors to throw, per actor name, one per call, before succeeding. */
  failures = new Map<string, ApiError[]>();

  constructor(endpoint: Endpoint | null) {
    this.endpoint = endpoint ? clone(endpoint) : null;
  }

  failNext(actor: string, ...errors: ApiError[]): void {
    this.failures.set(actor, [...(this.failures.get(actor) ?? []), ...errors]);
  }

  count(prefix: string): number {
    return this.calls.filter((c) => c.startsWith(prefix)).length;
  }

  /** The kind of change the API server makes on every write. */
  bump(): void {
    if (this.endpoint) this.endpoint.metadata.resourceVersion = String(++this.rv);
  }

  setDeploymentStatus(status: Deployment['status']): void {
    const dep = [...this.owned.values()].find((o) => o.kind === 'Deployment') as Deployment | undefined;
    if (!dep) throw new Error('no deployment applied yet');
    dep.status = status;
  }

  private maybeFail(actor: string): void {
    const queue = this.failures.get(actor);
    const err = queue?.shift();
    if (err) throw err;
  }

  private checkVersion(rv: string | undefined): Endpoint {
    if (!this.endpoint) throw { code: 404, message: 'not found' };
    if (rv !== undefined && rv !== this.endpoint.metadata.resourceVersion) {
      throw { code: 409, message: 'the object has been modified' };
    }
    return this.endpoint;
  }

  actors() {
    return {
      observe: fromPromise<EndpointSnapshot, ObserveInput>(async ({ input }) => {
        this.calls.push(`observe${input.fresh ? ':fresh' : ''}`);
        this.maybeFail('observe');
        const owned = [...this.owned.values()];
        const find = (kind: string) => clone(owned.find((o) => o.kind === kind) ?? null);
        return {
          ...snapshotOf(clone(this.endpoint)),
          now: this.now,
          ...clone(this.around),
          owned: { deployment: find('Deployment'), service: find('Service'), serviceAccount: find('ServiceAccount') },
        };
      }),
      writeStatus: fromPromise<Endpoint | null, WriteStatusInput>(async ({ input }) => {
        this.calls.push('writeStatus');
        this.maybeFail('writeStatus');
        const ep = this.checkVersion(input.resourceVersion);
        const { url, ...rest } = input.status;
        ep.status = { ...ep.status, ...rest, ...(url === null ? {} : { url }) };
        if (url === null) delete ep.status.url;
        this.bump();
        return clone(ep);
      }),
      setFinalizers: fromPromise<Endpoint | null, SetFinalizersInput>(async ({ input }) => {
        this.calls.push(`setFinalizers:${input.finalizers.join(',')}`);
        this.maybeFail('setFinalizers');
        const ep = this.checkVersion(input.resourceVersion);
        ep.metadata.finalizers = [...input.finalizers];
        if (ep.metadata.deletionTimestamp && input.finalizers.length === 0) {
          this.endpoint = null;
          return null;
        }
        this.bump();
        return clone(ep);
      }),
      applyProxy: fromPromise<void, ApplyProxyInput>(async ({ input }) => {
        this.calls.push(`applyProxy:${input.apply.map((m) => m.kind).join(',')}`);
        this.maybeFail('applyProxy');
        for (const m of input.apply) {
          const prev = this.owned.get(`${m.kind}/${m.metadata.name}`) as Deployment | undefined;
          this.owned.set(`${m.kind}/${m.metadata.name}`, {
            ...clone(m),
            ...(prev?.status ? { status: prev.status } : {}),
          });
        }
        for (const r of input.remove) this.owned.delete(`${r.kind}/${r.name}`);
      }),
      deleteOwned: fromPromise<void, DeleteOwnedInput>(async ({ input }) => {
        this.calls.push(`deleteOwned:${input.refs.map((r) => r.kind).join(',')}`);
        this.maybeFail('deleteOwned');
        for (const r of input.refs) this.owned.delete(`${r.kind}/${r.name}`);
      }),
      recordEvents: fromPromise<void, RecordEventsInput>(async ({ input }) => {
        this.calls.push(`recordEvents:${input.events.map((e) => e.reason).join(',')}`);
        this.events.push(...input.events);
      }),
    };
  }

  start(clock = new SimulatedClock()) {
    const actor = createActor(endpointMachine.provide({ actors: this.actors() }), {
      input: { key: { namespace: 'team-a', name: this.endpoint?.metadata.name ?? 'x' }, proxy: { image: 'img:test' } },
      clock,
    });
    actor.start();
    return { actor, clock };
  }
}

/** True in the states where the machine waits for the next wake-up or timer. */
export function isResting(s: SnapshotFrom<EndpointMachine>): boolean {
  return (
    s.matches({ ready: 'idle' }) ||
    s.matches({ failed: 'idle' }) ||
    s.matches({ awaitingDeployment: 'idle' }) ||
    s.matches('released') ||
    s.matches('gone') ||
    s.matches('backoff')
  );
}

export async function settle(actor: AnyActorRef & { getSnapshot(): SnapshotFrom<EndpointMachine> }) {
  return waitFor(actor, isResting, { timeout: 2000 });
}
