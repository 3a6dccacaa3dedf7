// One endpoint actor per MCPRemoteEndpoint: spawned on first sight, woken with LOOK_AGAIN on every relevant change,
// stopped when the informer reports the object gone. An actor that fails (a bug, not an API error: those are handled
// in the chart) is dropped and recreated on the next wake-up, so one bad endpoint never stops the others.
import { type Actor, type AnyActorLogic, createActor, type InspectionEvent } from 'xstate';
import type { ProxySettings } from '../../api/endpoint-proxy-objects.ts';
import { splitObjectKey } from '../../api/endpoint-references.ts';
import type { RetryPolicy } from '../../api/endpoint-retry.ts';
import type { EndpointMachine } from '../../machines/endpoint.ts';
import type { RuntimeClock } from '../clock.ts';

export interface RegistryOptions {
  machine: EndpointMachine;
  proxy: ProxySettings;
  retry?: RetryPolicy;
  inspect?: (event: InspectionEvent) => void;
  onActorError?: (key: string, err: unknown) => void;
  /** Told when an actor's top-level state changes (for logs): `state`, and the last API error when backing off. */
  onStateChange?: (key: string, state: string, lastError: string | null) => void;
  /** The actors' clock (the simulator's scheduler in `mcpre sim`; XState's default otherwise). */
  clock?: RuntimeClock;
}

export class EndpointRegistry {
  private readonly actors = new Map<string, Actor<EndpointMachine>>();
  private readonly opts: RegistryOptions;

  constructor(opts: RegistryOptions) {
    this.opts = opts;
  }

  wake(key: string): void {
    const actor = this.actors.get(key);
    if (actor) {
      actor.send({ type: 'LOOK_AGAIN' });
      return;
    }
    const created = createActor(this.opts.machine as AnyActorLogic as EndpointMachine, {
      input: { key: splitObjectKey(key), proxy: this.opts.proxy, retry: this.opts.retry },
      systemId: `endpoint:${key}`,
      inspect: this.opts.inspect,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
    });
    let last = '';
    created.subscribe({
      next: (snapshot) => {
        if (!this.opts.onStateChange) return;
        const value = snapshot.value;
        const top = typeof value === 'string' ? value : (Object.keys(value)[0] ?? '');
        if (top === last) return;
        last = top;
        this.opts.onStateChange(key, top, snapshot.context.lastError);
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

  get(key: string): Actor<EndpointMachine> | undefined {
    return this.actors.get(key);
  }

  keys(): string[] {
    return [...this.actors.keys()];
  }

  get size(): number {
    return this.actors.size;
  }

  /** True when every actor is waiting (no effect in flight). */
  quiet(): boolean {
    for (const actor of this.actors.values()) if (!actor.getSnapshot().hasTag('quiet')) return false;
    return true;
  }

  /** How many actors are in each top-level state (for logs, metrics and the benchmark). */
  census(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const actor of this.actors.values()) {
      const value = actor.getSnapshot().value;
      const top = typeof value === 'string' ? value : (Object.keys(value)[0] ?? 'unknown');
      out[top] = (out[top] ?? 0) + 1;
    }
    return out;
  }
}
