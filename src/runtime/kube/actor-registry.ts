// One reconciler actor per object key (`namespace/name`): spawned on first sight, woken with LOOK_AGAIN on every
// relevant change, stopped when the informer reports the object gone. An actor that fails (a bug, not an API error:
// those are handled in the chart) is dropped and recreated on the next wake-up, so one bad object never stops the
// others. With `stopAtRest`, an actor that reaches a state tagged `settled` is stopped too, and only its key and that
// state are kept: the next wake-up starts a fresh actor, which does what the resting one would have done. Thousands of
// objects at rest then cost a map entry each instead of an actor. The endpoint and VirtualMCPServer controllers each
// wrap one with their machine and input.
import {
  type Actor,
  type AnyActorLogic,
  type AnyActorRef,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  type InputFrom,
  type InspectionEvent,
  type SnapshotFrom,
} from 'xstate';
import type { RuntimeClock } from '../clock.ts';
import { tracing } from '../tracing/tracing.ts';
import { ReconcileTraces } from './reconcile-trace.ts';

export interface KeyedActorRegistryOptions<TMachine extends AnyStateMachine> {
  machine: TMachine;
  /** Each actor's system id is `<systemIdPrefix>:<key>`. */
  systemIdPrefix: string;
  /** The input of a new actor for an object key. */
  inputFor: (key: string) => InputFrom<TMachine>;
  inspect?: (event: InspectionEvent) => void;
  onActorError?: (key: string, err: unknown) => void;
  /** Told when an actor's top-level state changes. */
  onStateChange?: (key: string, state: string, snapshot: SnapshotFrom<TMachine>) => void;
  /** The actors' clock (the simulator's scheduler in `mcpre sim`; XState's default otherwise). */
  clock?: RuntimeClock;
  /**
   * At most this many actors at work at once; a wake-up that would start one more waits, in order, for a slot. An
   * actor holds a slot until it rests (`quiet`) or has only best-effort work left (`bestEffort`). Bounds what a burst
   * of wake-ups (the first pass over thousands of objects) keeps in memory at once. Unset: no limit.
   */
  maxBusy?: number;
  /**
   * Stop an actor once it reaches a state tagged `settled` (nothing in flight, no timer, nothing in its context that a
   * fresh actor would not have); its key is remembered with its top-level state (census, `restingState`) until the
   * next wake-up or `stop`.
   */
  stopAtRest?: boolean;
}

export class KeyedActorRegistry<TMachine extends AnyStateMachine> {
  private readonly actors = new Map<string, Actor<TMachine>>();
  /** Keys of actors holding a slot (see maxBusy), and keys waiting for one, oldest first. */
  private readonly busy = new Set<string>();
  private readonly waiting = new Set<string>();
  /** Keys whose actor was stopped at rest (stopAtRest), with the top-level state it rested in. */
  private readonly resting = new Map<string, string>();
  private readonly opts: KeyedActorRegistryOptions<TMachine>;
  /** One span per reconcile, only when tracing is on (reconcile-trace.ts). */
  private readonly traces: ReconcileTraces | undefined;

  constructor(opts: KeyedActorRegistryOptions<TMachine>) {
    this.opts = opts;
    this.traces = tracing.on ? new ReconcileTraces(opts.systemIdPrefix) : undefined;
  }

  wake(key: string): void {
    if (this.traces) this.traces.wake(key, () => this.wakeNow(key));
    else this.wakeNow(key);
  }

  private wakeNow(key: string): void {
    const max = this.opts.maxBusy;
    if (max !== undefined && !this.busy.has(key) && this.busy.size >= max) {
      this.waiting.add(key);
      return;
    }
    this.waiting.delete(key);
    const actor = this.actors.get(key);
    if (actor) {
      // Every reconciler chart takes LOOK_AGAIN; the generic machine type cannot say so.
      (actor as AnyActorRef).send({ type: 'LOOK_AGAIN' });
      return;
    }
    this.resting.delete(key);
    const created: Actor<TMachine> = createActor(this.opts.machine as AnyActorLogic as TMachine, {
      input: this.opts.inputFor(key),
      systemId: `${this.opts.systemIdPrefix}:${key}`,
      inspect: this.opts.inspect,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
    });
    let last = '';
    created.subscribe({
      next: (snapshot) => {
        this.track(key, snapshot as AnyMachineSnapshot);
        this.traces?.observe(key, snapshot as AnyMachineSnapshot);
        if (!this.opts.onStateChange) return;
        const top = topState((snapshot as AnyMachineSnapshot).value);
        if (top === last) return;
        last = top;
        this.opts.onStateChange(key, top, snapshot);
      },
      error: (err) => {
        this.traces?.end(key, 'actor failed');
        this.opts.onActorError?.(key, err);
        if (this.actors.get(key) === created) {
          this.actors.delete(key);
          this.release(key);
        }
      },
    });
    this.actors.set(key, created);
    created.start();
    this.track(key, created.getSnapshot() as AnyMachineSnapshot);
  }

  stop(key: string): void {
    this.waiting.delete(key);
    this.resting.delete(key);
    const actor = this.actors.get(key);
    if (!actor) return;
    this.actors.delete(key);
    actor.stop();
    this.traces?.end(key, 'stopped');
    this.release(key);
  }

  stopAll(): void {
    this.waiting.clear();
    this.resting.clear();
    for (const key of [...this.actors.keys()]) this.stop(key);
  }

  /** Counts an actor as holding a slot while it works; a slot it gives back goes to the oldest waiting key. */
  private track(key: string, snapshot: AnyMachineSnapshot): void {
    const actor = this.actors.get(key);
    if (actor === undefined) return;
    if (this.opts.stopAtRest && snapshot.status === 'active' && snapshot.hasTag('settled')) {
      // Stopping from inside the actor's own update is safe: XState queues the stop behind the current step.
      this.actors.delete(key);
      this.resting.set(key, topState(snapshot.value));
      actor.stop();
      this.release(key);
      return;
    }
    if (this.opts.maxBusy === undefined) return;
    const working = snapshot.status === 'active' && !snapshot.hasTag('quiet') && !snapshot.hasTag('bestEffort');
    if (working) this.busy.add(key);
    else this.release(key);
  }

  private release(key: string): void {
    if (!this.busy.delete(key)) return;
    const max = this.opts.maxBusy ?? Number.POSITIVE_INFINITY;
    while (this.busy.size < max && this.waiting.size > 0) {
      const [next] = this.waiting;
      if (next === undefined) break;
      this.wake(next);
    }
  }

  /** The key's running actor; none for a key at rest (see stopAtRest) or unknown. */
  get(key: string): Actor<TMachine> | undefined {
    return this.actors.get(key);
  }

  /** The top-level state a key rests in after its actor was stopped at rest (see stopAtRest). */
  restingState(key: string): string | undefined {
    return this.resting.get(key);
  }

  /** Keys with a running actor. */
  keys(): string[] {
    return [...this.actors.keys()];
  }

  /** Keys with a running actor or at rest. */
  get size(): number {
    return this.actors.size + this.resting.size;
  }

  /** True when every actor is waiting (no effect in flight): the machine must tag its waiting states `quiet`. */
  quiet(): boolean {
    if (this.waiting.size > 0) return false;
    for (const actor of this.actors.values())
      if (!(actor.getSnapshot() as AnyMachineSnapshot).hasTag('quiet')) return false;
    return true;
  }

  /** How many keys at rest (see stopAtRest) are in each top-level state. */
  restingCensus(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const top of this.resting.values()) out[top] = (out[top] ?? 0) + 1;
    return out;
  }

  /** How many keys are in each top-level state, actors at rest included (for logs, metrics and the benchmark). */
  census(): Record<string, number> {
    const out = this.restingCensus();
    for (const actor of this.actors.values()) {
      const top = topState((actor.getSnapshot() as AnyMachineSnapshot).value) || 'unknown';
      out[top] = (out[top] ?? 0) + 1;
    }
    return out;
  }
}

function topState(value: string | Record<string, unknown>): string {
  return typeof value === 'string' ? value : (Object.keys(value)[0] ?? '');
}
