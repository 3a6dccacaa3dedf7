// The simulator's in-memory Kubernetes API server. It keeps the semantics the operator depends on: a global
// resourceVersion, uid and generation, 409 on a stale resourceVersion, the status-subresource split, finalizers
// and deletionTimestamp, watches that replay from a resourceVersion, and 410 Gone once that resourceVersion has been
// compacted away. Faults (409, 429, 5xx, latency, watch disconnects) come from the seeded generator. CEL and schema
// validation are not re-implemented: a validation hook rejects what the CRDs would reject, and a differential test
// runs the same scenario on the real control plane to keep the two honest.
import type { Rng } from '../runtime/random.ts';
import {
  type ChangeListener,
  clone,
  copyUnfrozen,
  deepFreeze,
  firstAfter,
  type HistoryEntry,
  keyOf,
  type Stored,
  type Watch,
} from './fake-api-store.ts';
import {
  type ApiFaults,
  FakeApiError,
  type KubeObject,
  labelMatcher,
  NO_FAULTS,
  type ValidationHook,
  WATCH_ENDED,
  type WatchEventType,
  type WatchHandlers,
  type WatchOptions,
} from './fake-api-types.ts';
import type { TaskScheduler } from './scheduler.ts';

export type { ChangeListener } from './fake-api-store.ts';
export * from './fake-api-types.ts';

export class FakeApiServer {
  readonly #sched: TaskScheduler;
  readonly #rng: Rng;
  /** Objects by resource, then by namespace and name, each map in creation order. */
  readonly #objects = new Map<string, Map<string, Stored>>();
  readonly #listeners: ChangeListener[] = [];
  readonly #history: HistoryEntry[] = [];
  readonly #watches = new Set<Watch>();
  readonly #statusResources: Set<string>;
  readonly #validate: ValidationHook | undefined;
  readonly #known: Set<string> | undefined;
  #rv = 100;
  #uid = 0;
  #compactedRv = 0;
  faults: ApiFaults;
  /** Counts of requests by verb and outcome, for the simulator's report. */
  readonly stats = new Map<string, number>();

  constructor(opts: {
    scheduler: TaskScheduler;
    rng: Rng;
    faults?: ApiFaults;
    statusSubresource: string[];
    validate?: ValidationHook;
    /** When set, any other resource answers 404, as an API server without that CRD does. */
    knownResources?: string[];
  }) {
    this.#sched = opts.scheduler;
    this.#rng = opts.rng;
    this.faults = opts.faults ?? NO_FAULTS;
    this.#statusResources = new Set(opts.statusSubresource);
    this.#validate = opts.validate;
    this.#known = opts.knownResources ? new Set(opts.knownResources) : undefined;
  }

  #requireKnown(resource: string): void {
    if (this.#known && !this.#known.has(resource))
      throw new FakeApiError(404, `the server could not find the requested resource (${resource})`);
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  #count(what: string) {
    this.stats.set(what, (this.stats.get(what) ?? 0) + 1);
  }

  #latency(): number {
    const [lo, hi] = this.faults.latencyMs;
    return lo + Math.floor(this.#rng.next() * (hi - lo + 1));
  }

  /** Every request goes through here: latency, then maybe an injected fault, then the operation. */
  #request<T>(verb: string, write: boolean, op: () => T): Promise<T> {
    return this.#sched.after(`api.${verb}`, this.#latency(), () => {
      const r = this.#rng.next();
      const f = this.faults;
      if (r < f.serverError) {
        this.#count(`${verb}:500`);
        throw new FakeApiError(500, `injected: internal error on ${verb}`);
      }
      if (r < f.serverError + f.throttle) {
        this.#count(`${verb}:429`);
        throw new FakeApiError(429, `injected: too many requests on ${verb}`, 1000);
      }
      if (write && r < f.serverError + f.throttle + f.conflict) {
        this.#count(`${verb}:409`);
        throw new FakeApiError(
          409,
          `injected: the object has been modified; please apply your changes to the latest version`,
        );
      }
      const result = op(); // stored versions, frozen (#record): shared as they are, like a fresh decode of the wire
      this.#count(`${verb}:ok`);
      return result;
    });
  }

  #record(resource: string, type: WatchEventType, object: KubeObject): void {
    const entry: HistoryEntry = {
      rv: Number(object.metadata.resourceVersion),
      resource,
      namespace: object.metadata.namespace ?? '',
      type,
      // The stored version itself: a stored object is replaced on every change, never changed in place (frozen).
      object: deepFreeze(object),
    };
    this.#history.push(entry);
    for (const l of this.#listeners) l(resource, type, entry.object);
    for (const w of this.#watches) this.#deliver(w, entry);
  }

  /** Registers a listener told of every change as it is stored (no latency, no faults, no random draws). */
  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  #of(resource: string): Map<string, Stored> {
    let m = this.#objects.get(resource);
    if (!m) {
      m = new Map();
      this.#objects.set(resource, m);
    }
    return m;
  }

  // Events of one watch arrive in order, as on a real watch connection: a per-watch queue drained by one pump task.
  #deliver(w: Watch, e: HistoryEntry) {
    if (w.resource !== e.resource || (w.namespace !== undefined && w.namespace !== e.namespace)) return;
    if (!w.matches(e.object)) return;
    w.queue.push(e);
    if (!w.pumping) this.#pump(w);
  }

  #pump(w: Watch) {
    w.pumping = true;
    this.#sched.schedule(`watch.deliver`, this.#latency(), () => {
      const e = w.queue.shift();
      if (w.closed || !e) {
        w.pumping = false;
        return;
      }
      w.handlers.onEvent(e.type, e.object);
      if (this.#rng.next() < this.faults.watchDisconnect) {
        w.end();
        this.#count('watch:disconnect');
        w.handlers.onClose(undefined);
        return;
      }
      if (w.queue.length) this.#pump(w);
      else w.pumping = false;
    });
  }

  #bump(obj: KubeObject): void {
    this.#rv += 1;
    obj.metadata.resourceVersion = String(this.#rv);
  }

  #get(resource: string, ns: string, name: string): Stored {
    const s = this.#objects.get(resource)?.get(keyOf(ns, name));
    if (!s) throw new FakeApiError(404, `${resource} "${name}" not found`);
    return s;
  }

  #checkValid(resource: string, next: KubeObject, old: KubeObject | undefined) {
    const problem = this.#validate?.(resource, next, old);
    if (problem) throw new FakeApiError(422, problem);
  }

  get(resource: string, ns: string, name: string): Promise<KubeObject> {
    return this.#request('get', false, () => this.#get(resource, ns, name).object);
  }

  /** A list and the resourceVersion to watch from. */
  list(
    resource: string,
    ns?: string,
    labelSelector?: string,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    return this.#request('list', false, () => {
      this.#requireKnown(resource);
      return this.#listNow(resource, ns, labelSelector);
    });
  }

  #listNow(resource: string, ns: string | undefined, labelSelector: string | undefined) {
    const matches = labelMatcher(labelSelector);
    return {
      items: [...this.#of(resource).values()]
        .filter((s) => ns === undefined || s.object.metadata.namespace === ns)
        .filter((s) => matches(s.object))
        .map((s) => s.object)
        .sort((a, b) =>
          `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
        ),
      resourceVersion: String(this.#rv),
    };
  }

  create(resource: string, obj: KubeObject): Promise<KubeObject> {
    return this.#request('create', true, () => this.createNow(resource, obj));
  }

  /** Synchronous create for scenario setup (no latency, no faults). */
  createNow(resource: string, input: KubeObject): KubeObject {
    const obj = clone(input);
    const ns = obj.metadata.namespace ?? '';
    if (this.#of(resource).has(keyOf(ns, obj.metadata.name))) {
      throw new FakeApiError(409, `${resource} "${obj.metadata.name}" already exists`);
    }
    this.#checkValid(resource, obj, undefined);
    this.#uid += 1;
    obj.metadata.uid = `uid-${this.#uid}`;
    obj.metadata.generation = 1;
    obj.metadata.creationTimestamp = new Date(this.#sched.now()).toISOString();
    if (this.#statusResources.has(resource)) delete obj.status;
    this.#bump(obj);
    this.#of(resource).set(keyOf(ns, obj.metadata.name), { resource, object: obj });
    this.#record(resource, 'ADDED', obj);
    return obj;
  }

  /** PUT semantics: the caller's resourceVersion must be current. For status resources, status is ignored. */
  update(resource: string, obj: KubeObject): Promise<KubeObject> {
    return this.#request('update', true, () => this.updateNow(resource, obj, 'main'));
  }

  /** PUT to the status subresource: only status changes. */
  updateStatus(resource: string, obj: KubeObject): Promise<KubeObject> {
    return this.#request('updateStatus', true, () => this.updateNow(resource, obj, 'status'));
  }

  updateNow(resource: string, input: KubeObject, part: 'main' | 'status'): KubeObject {
    const ns = input.metadata.namespace ?? '';
    const stored = this.#get(resource, ns, input.metadata.name);
    const cur = stored.object;
    if (input.metadata.resourceVersion && input.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw new FakeApiError(
        409,
        `Operation cannot be fulfilled on ${resource} "${cur.metadata.name}": the object has been modified`,
      );
    }
    // The stored version is frozen: the next one shares its unchanged parts and copies what the caller handed in.
    const next: KubeObject = { ...cur, metadata: { ...cur.metadata } };
    const split = this.#statusResources.has(resource);
    if (part === 'status') {
      next.status = copyUnfrozen(input.status);
    } else {
      for (const [k, v] of Object.entries(input)) {
        if (k === 'metadata' || (split && k === 'status')) continue;
        next[k] = copyUnfrozen(v);
      }
      for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const)
        (next.metadata as Record<string, unknown>)[k] = copyUnfrozen(input.metadata[k]);
      if (split && JSON.stringify(next.spec) !== JSON.stringify(cur.spec))
        next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    }
    this.#checkValid(resource, next, cur);
    if (JSON.stringify(next) === JSON.stringify(cur)) return cur; // a no-op write does not bump the resourceVersion
    // With finalizers gone, an object marked for deletion disappears.
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).length) {
      this.#bump(next);
      this.#of(resource).delete(keyOf(ns, cur.metadata.name));
      this.#record(resource, 'DELETED', next);
      return next;
    }
    this.#bump(next);
    stored.object = next;
    this.#record(resource, 'MODIFIED', next);
    return next;
  }

  delete(resource: string, ns: string, name: string): Promise<void> {
    return this.#request('delete', true, () => this.deleteNow(resource, ns, name));
  }

  deleteNow(resource: string, ns: string, name: string): void {
    const stored = this.#get(resource, ns, name);
    const cur = stored.object;
    if ((cur.metadata.finalizers ?? []).length) {
      if (cur.metadata.deletionTimestamp) return;
      const next: KubeObject = { ...cur, metadata: { ...cur.metadata } };
      next.metadata.deletionTimestamp = new Date(this.#sched.now()).toISOString();
      this.#bump(next);
      stored.object = next;
      this.#record(resource, 'MODIFIED', next);
      return;
    }
    const gone: KubeObject = { ...cur, metadata: { ...cur.metadata } };
    this.#bump(gone);
    this.#of(resource).delete(keyOf(ns, name));
    this.#record(resource, 'DELETED', gone);
  }

  /**
   * Watches from `fromRv`: replays later history, then follows live. A compacted `fromRv` closes with 410. Returns a
   * function that ends the watch silently (no onClose).
   */
  watch(
    resource: string,
    ns: string | undefined,
    fromRv: string,
    handlers: WatchHandlers,
    options: WatchOptions = {},
  ): () => void {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) {
      handlers.onClose(WATCH_ENDED);
      return () => {};
    }
    const from = Number(fromRv);
    if (this.#known && !this.#known.has(resource)) {
      this.#sched.schedule('watch.notFound', this.#latency(), () => handlers.onClose(404));
      return () => {};
    }
    if (from < this.#compactedRv) {
      this.#count('watch:410');
      this.#sched.schedule('watch.gone', this.#latency(), () => handlers.onClose(410));
      return () => {};
    }
    let timer: number | undefined;
    const onAbort = () => {
      w.end();
      handlers.onClose(WATCH_ENDED);
    };
    const w: Watch = {
      resource,
      namespace: ns,
      handlers,
      closed: false,
      queue: [],
      pumping: false,
      matches: labelMatcher(options.labelSelector),
      end: () => {
        if (w.closed) return;
        w.closed = true;
        this.#watches.delete(w);
        if (timer !== undefined) this.#sched.cancel(timer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
    if (timeoutMs !== undefined) {
      timer = this.#sched.schedule('watch.timeout', timeoutMs, () => {
        timer = undefined;
        if (w.closed) return;
        w.end();
        handlers.onClose(WATCH_ENDED);
      });
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#watches.add(w);
    for (let i = firstAfter(this.#history, from); i < this.#history.length; i++) this.#deliver(w, this.#history[i]!);
    return () => w.end();
  }

  /** Drops history up to the current resourceVersion, as etcd compaction does: older watches get 410. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#history.length = 0;
  }

  /** Synchronous read for invariant checks (no latency, no faults). */
  peek(resource: string, ns: string, name: string): KubeObject | undefined {
    const s = this.#objects.get(resource)?.get(keyOf(ns, name));
    return s ? clone(s.object) : undefined;
  }

  peekAll(resource: string): KubeObject[] {
    return [...this.view(resource)].map((o) => clone(o));
  }

  /** The stored version of one object, uncopied (frozen): for readers that only read. */
  stored(resource: string, ns: string, name: string): Readonly<KubeObject> | undefined {
    return this.#objects.get(resource)?.get(keyOf(ns, name))?.object;
  }

  /** The stored objects of a resource in creation order, uncopied: for checks that only read. */
  *view(resource: string): Iterable<Readonly<KubeObject>> {
    for (const s of this.#objects.get(resource)?.values() ?? []) yield s.object;
  }
}
