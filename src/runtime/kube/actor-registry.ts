// One reconciler actor per object key (`namespace/name`): spawned on first sight, woken with LOOK_AGAIN on every
// relevant change, stopped when the informer reports the object gone. An actor that fails (a bug, not an API error:
// those are handled in the chart) is dropped and recreated on the next wake-up, so one bad object never stops the
// others. The endpoint and VirtualMCPServer controllers each wrap one with their machine and input.
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
}

export class KeyedActorRegistry<TMachine extends AnyStateMachine> {
  private readonly actors = new Map<string, Actor<TMachine>>();
  private readonly opts: KeyedActorRegistryOptions<TMachine>;

  constructor(opts: KeyedActorRegistryOptions<TMachine>) {
    this.opts = opts;
  }

  wake(key: string): void {
    const actor = this.actors.get(key);
    if (actor) {
      // Every reconciler chart takes LOOK_AGAIN; the generic machine type cannot say so.
      (actor as AnyActorRef).send({ type: 'LOOK_AGAIN' });
      return;
    }
    const created: Actor<TMachine> = createActor(this.opts.machine as AnyActorLogic as TMachine, {
      input: this.opts.inputFor(key),
      systemId: `${this.opts.systemIdPrefix}:${key}`,
      inspect: this.opts.inspect,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
    });
    let last = '';
    created.subscribe({
      next: (snapshot) => {
        if (!this.opts.onStateChange) return;
        const top = topState((snapshot as AnyMachineSnapshot).value);
        if (top === last) return;
        last = top;
        this.opts.onStateChange(key, top, snapshot);
      },
      error: (err) => {
        this.opts.onActorError?.(key, err);
        if (this.actors.get(key) === created) this.actors.delete(key);
      },
    });
    this.actors.set(key, created);
    created.start();
  }

  stop(key: string): void {
    const actor = this.actors.get(key);
    if (!actor) return;
    this.actors.delete(key);
    actor.stop();
  }

  stopAll(): void {
    for (const key of [...this.actors.keys()]) this.stop(key);
  }

  get(key: string): Actor<TMachine> | undefined {
    return this.actors.get(key);
  }

  keys(): string[] {
    return [...this.actors.keys()];
  }

  get size(): number {
    return this.actors.size;
  }

  /** True when every actor is waiting (no effect in flight): the machine must tag its waiting states `quiet`. */
  quiet(): boolean {
    for (const actor of this.actors.values())
      if (!(actor.getSnapshot() as AnyMachineSnapshot).hasTag('quiet')) return false;
    return true;
  }

  /** How many actors are in each top-level state (for logs, metrics and the benchmark). */
  census(): Record<string, number> {
    const out: Record<string, number> = {};
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
