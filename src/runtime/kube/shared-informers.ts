// The process's one set of informers, keyed by resource: however many controllers read a kind, it is listed and
// watched once (in the configured namespace, or cluster-wide) and every controller reads the same store. A controller
// subscribes to the changes of the kinds it declares; a subscriber that arrives after the informer has synced is
// told about every object already cached (as client-go's AddEventHandler does), so it misses nothing.
import type { ResourceType } from '../../actors/kube/kube-api.ts';
import type { KubeObject } from '../../api/endpoint/model.ts';
import type { RuntimeClock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { KubeHttp } from './kube-http.ts';
import { type ChangeHandler, Reflector, type ReflectorOptions } from './reflector.ts';
import { slimObject } from './transforms.ts';

/** What one informer watches. Two declarations of one resource must agree on all of it. */
export interface WatchSpec<T extends KubeObject = KubeObject> {
  resource: ResourceType;
  labelSelector?: string;
  /** A CRD that may not be installed: a 404 reads as "absent" and is looked for again later. */
  optional?: boolean;
  /** Applied to every object on receipt; managedFields are dropped by default. */
  transform?: (raw: unknown) => T;
}

export interface SharedInformersOptions {
  api: KubeHttp;
  namespace?: string;
  rng: Rng;
  clock: RuntimeClock;
  log?: ReflectorOptions<KubeObject>['log'];
  inactivityMs?: number;
}

interface Entry {
  spec: WatchSpec;
  reflector: Reflector<KubeObject>;
  subscribers: Set<ChangeHandler<KubeObject>>;
}

/** The informer's identity: one per group, version and resource. */
export function watchKey(r: ResourceType): string {
  return `${r.group || 'core'}/${r.version}/${r.plural}`;
}

export class SharedInformers {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: SharedInformersOptions;
  private started = false;
  private stopped = false;

  constructor(opts: SharedInformersOptions) {
    this.opts = opts;
  }

  /** The informer for `spec`, created on first use (and started at once if the others already are). */
  informer<T extends KubeObject>(spec: WatchSpec<T>): Reflector<T> {
    return this.entry(spec as WatchSpec).reflector as unknown as Reflector<T>;
  }

  /** Tells `handler` every change of `spec`'s resource; returns the informer. */
  subscribe<T extends KubeObject>(spec: WatchSpec<T>, handler: ChangeHandler<T>): Reflector<T> {
    const entry = this.entry(spec as WatchSpec);
    const h = handler as ChangeHandler<KubeObject>;
    entry.subscribers.add(h);
    // Already listed: replay the cache, as the list would have told a subscriber that was there from the start.
    for (const obj of entry.reflector.store.values()) this.tell(h, entry, 'added', obj, undefined);
    return entry.reflector as unknown as Reflector<T>;
  }

  /** Starts every informer; resolves once all have synced. Informers made later start when made. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.entries.values()].map((e) => e.reflector.start()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.entries.values()].map((e) => e.reflector.stop()));
  }

  /** The resources watched, by watch key (for logs and tests). */
  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  get(resource: ResourceType): Reflector<KubeObject> | undefined {
    return this.entries.get(watchKey(resource))?.reflector;
  }

  private entry(spec: WatchSpec): Entry {
    const key = watchKey(spec.resource);
    const existing = this.entries.get(key);
    if (existing) {
      const clash = differs(existing.spec, spec);
      if (clash) throw new Error(`${key} is declared twice with a different ${clash}; one informer serves both`);
      return existing;
    }
    if (this.stopped) throw new Error(`informer for ${key} requested after stop`);
    const subscribers = new Set<ChangeHandler<KubeObject>>();
    const entry: Entry = { spec, subscribers, reflector: undefined as unknown as Reflector<KubeObject> };
    entry.reflector = new Reflector<KubeObject>({
      api: this.opts.api,
      resource: spec.resource,
      namespace: this.opts.namespace,
      labelSelector: spec.labelSelector,
      optional: spec.optional,
      transform: spec.transform ?? slimObject,
      rng: this.opts.rng,
      clock: this.opts.clock,
      log: this.opts.log,
      inactivityMs: this.opts.inactivityMs,
      onChange: (type, obj, old, offered) => {
        for (const h of subscribers) this.tell(h, entry, type, obj, old, offered);
      },
    });
    this.entries.set(key, entry);
    if (this.started) void entry.reflector.start();
    return entry;
  }

  /** One subscriber's failure is logged and does not keep the change from the others. */
  private tell(h: ChangeHandler<KubeObject>, entry: Entry, ...args: Parameters<ChangeHandler<KubeObject>>): void {
    try {
      h(...args);
    } catch (err) {
      this.opts.log?.('warn', 'change handler failed', {
        resource: entry.spec.resource.plural,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

function differs(a: WatchSpec, b: WatchSpec): string | undefined {
  if ((a.labelSelector ?? '') !== (b.labelSelector ?? '')) return 'label selector';
  if (Boolean(a.optional) !== Boolean(b.optional)) return '"optional"';
  if ((a.transform ?? slimObject) !== (b.transform ?? slimObject)) return 'transform';
  return undefined;
}
