// The one way a controller runs on the manager: it declares the kinds it reads (shared informers, by local name),
// receives every change of them (before its caches have synced too, so indexes fill from the first list), routes
// each change to the keys it concerns, and does its work in workers the manager can drain and stop (a keyed actor
// registry, a keyed queue). Once all of its informers have synced it makes a first pass, then one every `resyncMs`.
import type { KubeObject } from '../../api/endpoint/model.ts';
import type { Manager } from './manager.ts';
import type { ChangeType, Reflector } from './reflector.ts';
import type { WatchSpec } from './shared-informers.ts';

/** Something that does a controller's work and can be drained and stopped. */
export interface Worker {
  /** Nothing in flight (an actor between passes, an empty queue). */
  quiet(): boolean;
  stop(): void;
}

export interface ChangeEvent<N extends string> {
  kind: N;
  type: ChangeType;
  obj: KubeObject;
  old: KubeObject | undefined;
  /** False until every informer of this controller has synced (no reconcile should start before). */
  synced: boolean;
  /** An object this process wrote or read itself, taken into the cache from the answer (Reflector.offer). */
  offered: boolean;
}

export interface ControllerSpec<N extends string> {
  /** For logs and metrics. */
  name: string;
  watches: Record<N, WatchSpec>;
  onChange(event: ChangeEvent<N>): void;
  /** The first pass, once every informer of this controller has synced, and each periodic resync. */
  resync(): void;
  resyncMs?: number;
  workers: Worker[];
  /** Told when the manager stops taking work (to cancel timers of the controller's own). */
  onStop?(): void;
}

export interface RunningController<N extends string = string> {
  name: string;
  /** The controller's informers by its own names (shared with every other controller watching the same kind). */
  informers: Record<N, Reflector<KubeObject>>;
  /** Resolves after the first pass. */
  ready: Promise<void>;
  /** Adds a kind after start (discovered at run time); resolves once it has synced. */
  watch(name: string, spec: WatchSpec): Promise<Reflector<KubeObject>>;
  quiet(): boolean;
  stopTakingWork(): void;
  stopWorkers(): void;
}

export function startController<N extends string>(manager: Manager, spec: ControllerSpec<N>): RunningController<N> {
  const { clock } = manager;
  let synced = false;
  let taking = true;
  let resyncTimer: unknown;
  const subscribe = (name: string, watch: WatchSpec) =>
    manager.informers.subscribe(watch, (type, obj, old, offered = false) => {
      if (taking) spec.onChange({ kind: name as N, type, obj, old, synced, offered });
    });
  const informers = {} as Record<N, Reflector<KubeObject>>;
  for (const [name, watch] of Object.entries(spec.watches) as [N, WatchSpec][])
    informers[name] = subscribe(name, watch);

  const ready = (async () => {
    await manager.started;
    await Promise.all(Object.values<Reflector<KubeObject>>(informers).map((r) => r.hasSynced()));
    if (!taking) return;
    synced = true;
    spec.resync();
    const every = spec.resyncMs ?? 10 * 60_000;
    const again = () => {
      if (!taking) return;
      spec.resync();
      resyncTimer = clock.setTimeout(again, every);
    };
    resyncTimer = clock.setTimeout(again, every);
  })();

  return {
    name: spec.name,
    informers,
    ready,
    async watch(name, watch) {
      const r = subscribe(name, watch);
      await r.hasSynced();
      return r;
    },
    quiet: () => spec.workers.every((w) => w.quiet()),
    stopTakingWork() {
      taking = false;
      clock.clearTimeout(resyncTimer);
      spec.onStop?.();
    },
    stopWorkers() {
      for (const w of spec.workers) w.stop();
    },
  };
}
