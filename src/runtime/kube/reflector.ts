// An informer for one resource: list (paginated) into a Store, then watch from the list's resourceVersion. 410 Gone
// (an HTTP 410 or an ERROR event) relists at once; any other failure re-watches after an exponential, jittered
// backoff; a watch that goes silent (no event, not even a bookmark) is cut by a watchdog and re-opened. Optional
// resources (CRDs that may not be installed) report "absent" on 404 and are looked for again periodically.

import { collectionPath, KubeApiError, type ResourceType } from '../../actors/kube/kube-api.ts';
import { backoffMs, fromTop } from '../../api/backoff.ts';
import type { KubeObject } from '../../api/endpoint/model.ts';
import { type RuntimeClock, sleepOn, systemClock } from '../clock.ts';
import type { Rng } from '../random.ts';
import type { KubeHttp, WatchEvent } from './kube-http.ts';
import { keyOf, Store } from './store.ts';

export type ChangeType = 'added' | 'modified' | 'deleted';
/**
 * `offered`: the change is an object this process read or wrote itself, taken into the cache from the answer before
 * the watch brought it (Reflector.offer). The watch event that follows carries the same version and reads as no
 * change, so a handler hears of the change now or not at all; the controller that made it may already know it.
 */
export type ChangeHandler<T> = (type: ChangeType, obj: T, old: T | undefined, offered?: boolean) => void;

export interface ReflectorOptions<T extends KubeObject> {
  api: KubeHttp;
  resource: ResourceType;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  labelSelector?: string;
  /** Applied to every object on receipt (for Secrets: drop the values, keep key names). */
  transform?: (raw: unknown) => T;
  optional?: boolean;
  onChange: ChangeHandler<T>;
  rng: Rng;
  log?: (level: 'debug' | 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
  pageSize?: number;
  inactivityMs?: number;
  /** Server-side watch timeout range in seconds (jittered so watches do not all restart together). */
  watchTimeoutSeconds?: [number, number];
  backoffMs?: { base: number; max: number };
  absentRetryMs?: number;
  /** Timers for backoff (the system clock unless a simulation provides its own). */
  clock?: RuntimeClock;
}

interface ListResponse {
  metadata: { resourceVersion?: string; continue?: string };
  items: unknown[];
}

export class Reflector<T extends KubeObject> {
  readonly store = new Store<T>();
  /** True when the resource is optional and its CRD is not installed. */
  absent = false;
  private readonly stopper = new AbortController();
  private readonly synced: Promise<void>;
  private markSynced!: () => void;
  private running: Promise<void> | undefined;
  /** Counters for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, gone: 0, errors: 0, watchdog: 0 };

  private readonly opts: ReflectorOptions<T>;

  constructor(opts: ReflectorOptions<T>) {
    this.opts = opts;
    this.synced = new Promise((resolve) => {
      this.markSynced = resolve;
    });
  }

  get name(): string {
    return this.opts.resource.plural;
  }

  start(): Promise<void> {
    this.running ??= this.loop();
    return this.synced;
  }

  hasSynced(): Promise<void> {
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  /**
   * Takes an object that a write (or a fresh read) returned, as Store.offer does, and tells the handlers what changed
   * then, marked offered.
   */
  offer(obj: T): boolean {
    const old = this.store.getByKey(keyOf(obj));
    if (!this.store.offer(obj)) return false;
    this.notify('modified', obj, old, true);
    return true;
  }

  private async loop(): Promise<void> {
    const { api, resource, namespace } = this.opts;
    const path = collectionPath(resource, namespace);
    const backoff = this.opts.backoffMs ?? { base: 1000, max: 30_000 };
    let rv: string | undefined;
    let failures = 0;
    while (!this.stopper.signal.aborted) {
      try {
        if (rv === undefined) {
          rv = await this.relist(path);
          failures = 0;
        }
        const watchSignal = new AbortController();
        const onStop = () => watchSignal.abort();
        this.stopper.signal.addEventListener('abort', onStop, { once: true });
        // stop() may have come while the list was in flight: its abort event has passed already.
        if (this.stopper.signal.aborted) watchSignal.abort();
        let errorEvent: { code?: number; message?: string } | undefined;
        this.stats.watches += 1;
        try {
          await api.watch(
            path,
            {
              resourceVersion: rv,
              allowWatchBookmarks: true,
              labelSelector: this.opts.labelSelector,
              timeoutSeconds: this.watchTimeout(),
            },
            (ev: WatchEvent) => {
              if (errorEvent) return;
              if (ev.type === 'ERROR') {
                errorEvent = ev.object as { code?: number; message?: string };
                watchSignal.abort();
                return;
              }
              const next = this.apply(ev);
              if (next) rv = next;
            },
            { signal: watchSignal.signal, inactivityMs: this.opts.inactivityMs ?? 150_000 },
          );
        } finally {
          this.stopper.signal.removeEventListener('abort', onStop);
        }
        if (errorEvent)
          throw new KubeApiError(`watch ${path}: ${errorEvent.message ?? 'error event'}`, errorEvent.code);
        failures = 0;
      } catch (err) {
        if (this.stopper.signal.aborted) break;
        const code = err instanceof KubeApiError ? err.code : undefined;
        if (code === 410) {
          // The resourceVersion was compacted away: only a fresh list can tell what changed.
          this.stats.gone += 1;
          this.opts.log?.('debug', 'watch expired (410 Gone), relisting', { resource: resource.plural });
          rv = undefined;
          continue;
        }
        if (code === 404 && this.opts.optional) {
          this.becomeAbsent();
          rv = undefined;
          await this.pause(this.opts.absentRetryMs ?? 60_000);
          continue;
        }
        if (err instanceof KubeApiError && err.message.includes('(watchdog)')) this.stats.watchdog += 1;
        failures += 1;
        this.stats.errors += 1;
        const delay = backoffMs({ baseMs: backoff.base, maxMs: backoff.max, jitter: 0.5 }, failures - 1, {
          rng: fromTop(this.opts.rng),
        });
        this.opts.log?.('warn', 'informer error, retrying', {
          resource: resource.plural,
          error: err instanceof Error ? err.message : String(err),
          retryInMs: Math.round(delay),
        });
        await this.pause(delay);
      }
    }
  }

  private async relist(path: string): Promise<string> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    this.stats.lists += 1;
    do {
      const page = await this.opts.api.request<ListResponse>({
        method: 'GET',
        path,
        query: { limit: this.opts.pageSize ?? 500, continue: cont, labelSelector: this.opts.labelSelector },
        signal: this.stopper.signal,
      });
      for (const raw of page.items ?? []) {
        const obj = this.ingest(raw);
        fresh.set(keyOf(obj), obj);
      }
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    if (this.absent) {
      this.absent = false;
      this.opts.log?.('info', 'optional resource is now served', { resource: this.opts.resource.plural });
    }
    // Diff against what we had: deletes for what vanished, adds and updates (only when the version moved).
    for (const key of [...this.store.keys()]) {
      if (!fresh.has(key)) {
        const old = this.store.delete(key);
        if (old) this.notify('deleted', old, old);
      }
    }
    for (const obj of fresh.values()) {
      const old = this.store.set(obj);
      if (!old) this.notify('added', obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.notify('modified', obj, old);
    }
    this.markSynced();
    return rv;
  }

  private apply(ev: WatchEvent): string | undefined {
    const meta = (ev.object as { metadata?: { resourceVersion?: string } }).metadata;
    if (ev.type === 'BOOKMARK') return meta?.resourceVersion;
    const obj = this.ingest(ev.object);
    if (ev.type === 'DELETED') {
      const old = this.store.delete(keyOf(obj));
      this.notify('deleted', obj, old);
    } else {
      const old = this.store.set(obj);
      this.notify(old ? 'modified' : 'added', obj, old);
    }
    return obj.metadata.resourceVersion;
  }

  private ingest(raw: unknown): T {
    return this.opts.transform ? this.opts.transform(raw) : (raw as T);
  }

  private becomeAbsent(): void {
    if (!this.absent)
      this.opts.log?.('info', 'optional resource not installed; skipping it', { resource: this.opts.resource.plural });
    this.absent = true;
    for (const key of [...this.store.keys()]) {
      const old = this.store.delete(key);
      if (old) this.notify('deleted', old, old);
    }
    this.markSynced();
  }

  /**
   * Tells the handler about a change the store already holds. A handler that throws is logged and the informer goes
   * on: thrown into the watch it would fail the watch and replay the same event forever, thrown into a relist it
   * would drop the changes after it, and thrown from the loop's error path it would end the loop unheard.
   */
  private notify(type: ChangeType, obj: T, old: T | undefined, offered = false): void {
    try {
      this.opts.onChange(type, obj, old, offered);
    } catch (err) {
      this.opts.log?.('warn', 'change handler failed', {
        resource: this.opts.resource.plural,
        object: keyOf(obj),
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private watchTimeout(): number {
    const [lo, hi] = this.opts.watchTimeoutSeconds ?? [240, 360];
    return Math.round(lo + (hi - lo) * this.opts.rng.next());
  }

  private pause(ms: number): Promise<void> {
    return sleepOn(this.opts.clock ?? systemClock, ms, this.stopper.signal);
  }
}
