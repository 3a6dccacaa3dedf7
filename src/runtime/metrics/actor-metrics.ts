// Prometheus series read from XState's inspection stream, so the machines stay free of metrics code: pass `inspect`
// wherever actors are created (endpoint and VirtualMCPServer registries, backend sessions, the Lease chart).
//   mcpre_actors{machine,state}                         actors by machine and state (keys a registry keeps at rest
//                                                       without an actor count in the state they rest in)
//   mcpre_reconciles_total{controller,result}           reconcile passes and where they ended
//   mcpre_reconcile_duration_seconds{controller,result} how long a pass took
//   mcpre_backend_session_reinitializations_total{backend}, mcpre_backend_session_circuit_openings_total{backend}
// A reconcile pass starts when an actor of a reconciling machine starts an effect (it has an invoked child) and ends
// when it rests again with none; the result is the top-level state it rests in (ready, failed, backoff, ...).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { InspectionEvent } from 'xstate';
import { type BackendSessionSnapshot, sessionPhase } from '../../machines/backend-session-status.ts';

/** Machine id -> the controller label its reconcile passes are counted under. */
export const RECONCILING_MACHINES: Readonly<Record<string, string>> = {
  endpoint: 'mcpremoteendpoint',
  virtualMcpServer: 'virtualmcpserver',
};

interface Tracked {
  machine: string;
  state: string;
  passStartedMs: number | undefined;
  reinitializations: number;
  circuitOpenings: number;
}

interface MachineSnapshot {
  status: string;
  value: unknown;
  children: Record<string, unknown>;
  machine?: { id: string };
  context?: Record<string, unknown>;
}

/** The state label: the top-level state, or for backend sessions the phase their owners report. */
function stateLabel(machine: string, snapshot: MachineSnapshot): string {
  if (machine === 'backendSession') return sessionPhase(snapshot as unknown as BackendSessionSnapshot);
  const value = snapshot.value;
  if (typeof value === 'string') return value;
  return Object.keys(value as object)[0] ?? 'unknown';
}

export class ActorMetrics {
  readonly actors: Gauge<'machine' | 'state'>;
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileSeconds: Histogram<'controller' | 'result'>;
  readonly reinitializations: Counter<'backend'>;
  readonly circuitOpenings: Counter<'backend'>;
  readonly #tracked = new Map<string, Tracked>();
  readonly #now: () => number;
  /** Per machine: who counts its keys at rest, and what the gauge holds for them since the last scrape. */
  readonly #resting = new Map<string, { census: () => Record<string, number>; counted: Record<string, number> }>();

  constructor(registry: Registry, opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? (() => performance.now());
    const registers = [registry];
    const countResting = () => this.#countResting();
    this.actors = new Gauge({
      name: 'mcpre_actors',
      help: 'Actors by machine and state (for backendSession: the session phase); an endpoint at rest, whose actor is stopped until its next change, counts in the state it rests in.',
      labelNames: ['machine', 'state'] as const,
      registers,
      collect: countResting,
    });
    this.reconciles = new Counter({
      name: 'mcpre_reconciles_total',
      help: 'Reconcile passes by controller and result (the state the actor rested in: ready, failed, backoff, ...).',
      labelNames: ['controller', 'result'] as const,
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: 'mcpre_reconcile_duration_seconds',
      help: 'Duration of a reconcile pass, from its first effect until the actor rests, by controller and result.',
      labelNames: ['controller', 'result'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.reinitializations = new Counter({
      name: 'mcpre_backend_session_reinitializations_total',
      help: 'Backend sessions re-initialized after the backend dropped them (HTTP 404 on a session), by backend.',
      labelNames: ['backend'] as const,
      registers,
    });
    this.circuitOpenings = new Counter({
      name: 'mcpre_backend_session_circuit_openings_total',
      help: 'Times a backend session circuit breaker opened (consecutive failures reached the threshold), by backend.',
      labelNames: ['backend'] as const,
      registers,
    });
  }

  /**
   * Counts, in mcpre_actors, the keys a registry keeps at rest without an actor (KeyedActorRegistry `stopAtRest`),
   * read at every scrape. A later call for the same machine replaces the source (a new leadership term).
   */
  countResting(machine: string, census: () => Record<string, number>): void {
    const counted = this.#resting.get(machine)?.counted ?? {};
    this.#resting.set(machine, { census, counted });
  }

  #countResting(): void {
    for (const [machine, source] of this.#resting) {
      const now = source.census();
      for (const state of new Set([...Object.keys(now), ...Object.keys(source.counted)])) {
        const delta = (now[state] ?? 0) - (source.counted[state] ?? 0);
        if (delta > 0) this.actors.inc({ machine, state }, delta);
        else if (delta < 0) this.actors.dec({ machine, state }, -delta);
      }
      source.counted = now;
    }
  }

  /** Actors of a controller in the middle of a reconcile pass. */
  busy(controller: string): number {
    let n = 0;
    for (const t of this.#tracked.values()) {
      if (t.passStartedMs !== undefined && RECONCILING_MACHINES[t.machine] === controller) n += 1;
    }
    return n;
  }

  /** The inspection observer (`createActor(machine, { inspect })`). */
  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as unknown as MachineSnapshot;
    const machine = snapshot.machine?.id;
    if (!machine) return; // promise and callback actors: not machines
    const id = event.actorRef.sessionId;
    const tracked = this.#tracked.get(id);
    if (snapshot.status !== 'active') {
      if (tracked) {
        this.actors.dec({ machine, state: tracked.state });
        this.#tracked.delete(id);
      }
      return;
    }
    const state = stateLabel(machine, snapshot);
    const t: Tracked = tracked ?? {
      machine,
      state,
      passStartedMs: undefined,
      reinitializations: 0,
      circuitOpenings: 0,
    };
    if (!tracked) {
      this.#tracked.set(id, t);
      this.actors.inc({ machine, state });
    } else if (tracked.state !== state) {
      this.actors.dec({ machine, state: tracked.state });
      this.actors.inc({ machine, state });
      tracked.state = state;
    }
    const controller = RECONCILING_MACHINES[machine];
    if (controller) this.#trackPass(t, controller, snapshot, state);
    if (machine === 'backendSession') this.#trackSession(t, snapshot);
  };

  #trackPass(t: Tracked, controller: string, snapshot: MachineSnapshot, state: string): void {
    const busy = Object.keys(snapshot.children ?? {}).length > 0;
    if (busy && t.passStartedMs === undefined) t.passStartedMs = this.#now();
    else if (!busy && t.passStartedMs !== undefined) {
      const seconds = (this.#now() - t.passStartedMs) / 1000;
      t.passStartedMs = undefined;
      this.reconciles.inc({ controller, result: state });
      this.reconcileSeconds.observe({ controller, result: state }, seconds);
    }
  }

  #trackSession(t: Tracked, snapshot: MachineSnapshot): void {
    const ctx = snapshot.context ?? {};
    const backend = String(ctx.backendId ?? 'unknown');
    // Every backend gets its series at 0, so "no re-initializations" is a value and not a missing series.
    this.reinitializations.inc({ backend }, 0);
    this.circuitOpenings.inc({ backend }, 0);
    const reinit = Number(ctx.reinitializations ?? 0);
    const openings = Number(ctx.circuitOpenings ?? 0);
    if (reinit > t.reinitializations) this.reinitializations.inc({ backend }, reinit - t.reinitializations);
    if (openings > t.circuitOpenings) this.circuitOpenings.inc({ backend }, openings - t.circuitOpenings);
    t.reinitializations = reinit;
    t.circuitOpenings = openings;
  }
}

/** Several inspectors as one (the metrics and the /debug/actors directory, say). */
export function combineInspectors(
  ...inspectors: Array<((event: InspectionEvent) => void) | undefined>
): ((event: InspectionEvent) => void) | undefined {
  const live = inspectors.filter((i): i is (event: InspectionEvent) => void => i !== undefined);
  if (live.length === 0) return undefined;
  if (live.length === 1) return live[0];
  return (event) => {
    for (const i of live) i(event);
  };
}
