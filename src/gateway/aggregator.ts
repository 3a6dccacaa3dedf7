// Keeps the aggregated view current as backends come and go and their lists change. Bursts of backend changes (a
// backend re-initializing fires several) are coalesced into one recompute, and listeners hear about a kind only when
// what clients would see of it really changed, so clients get one `list_changed` per real change, not one per event.
import type { AggregationConfig, BackendToolConfig } from '../api/gateway/config.ts';
import { type AggregatedView, aggregate, type InvalidName } from './aggregate.ts';
import type { Backend } from './backend.ts';

export type ListChangeKind = 'tools' | 'resources' | 'prompts';

export interface AggregatorOptions {
  config: AggregationConfig;
  /** How long to wait for more backend changes before recomputing. */
  coalesceMs?: number;
  onConflicts?: (conflicts: string[]) => void;
  /**
   * Tools dropped for their names, each time that set changes (to empty too): so once per new list a backend sends,
   * not once per recompute.
   */
  onInvalidNames?: (invalid: readonly InvalidName[]) => void;
}

interface Entry {
  backend: Backend;
  unsubscribe: () => void;
  /** The lists of the backend this one replaced, served while this one connects (see replace()). */
  inherited?: Backend['lists'];
}

export class Aggregator {
  #view: AggregatedView;
  readonly #backends = new Map<string, Entry>();
  readonly #listeners = new Set<(kinds: ReadonlySet<ListChangeKind>) => void>();
  readonly #opts: AggregatorOptions;
  #timer: NodeJS.Timeout | undefined;
  #fingerprints: Record<ListChangeKind, string>;
  #lastConflicts = '';
  #lastInvalidNames = '[]';
  /** Tool configs set at run time (dynamic discovery's MCPToolConfig), over the static config's entries. */
  readonly #toolConfigs = new Map<string, Omit<BackendToolConfig, 'backend'>>();

  constructor(opts: AggregatorOptions) {
    this.#opts = opts;
    this.#view = aggregate([], opts.config);
    this.#fingerprints = fingerprints(this.#view);
  }

  get view(): AggregatedView {
    return this.#view;
  }

  /** Each advertised list as its JSON text (resources with their templates): equal text, equal list. */
  get fingerprints(): Readonly<Record<ListChangeKind, string>> {
    return this.#fingerprints;
  }

  get backends(): Backend[] {
    return [...this.#backends.values()].map((b) => b.backend);
  }

  backend(name: string): Backend | undefined {
    return this.#backends.get(name)?.backend;
  }

  add(backend: Backend): void {
    if (this.#backends.has(backend.info.name)) throw new Error(`backend "${backend.info.name}" is already registered`);
    const unsubscribe = backend.onChange(() => this.#schedule());
    this.#backends.set(backend.info.name, { backend, unsubscribe });
    this.#schedule();
  }

  /**
   * `backend` takes the name over from the registered backend of that name (its configuration changed, say a rotated
   * credential). While the new one connects, the name keeps the old one's lists, as for a re-initialization: calls
   * route to the new backend and wait for its session, so clients see neither an error nor a list flicker. Returns
   * the replaced backend, for the caller to close.
   */
  replace(backend: Backend): Backend | undefined {
    const name = backend.info.name;
    const previous = this.#backends.get(name);
    if (!previous) {
      this.add(backend);
      return undefined;
    }
    previous.unsubscribe();
    const old = previous.backend;
    const live = old.state === 'ready' || old.state === 'reinitializing';
    // In place, so the name keeps its position (the aggregate, and so the advertised lists, do not reorder).
    this.#backends.set(name, {
      backend,
      unsubscribe: backend.onChange(() => this.#schedule()),
      ...(live ? { inherited: old.lists } : previous.inherited ? { inherited: previous.inherited } : {}),
    });
    this.#schedule();
    return old;
  }

  remove(name: string): Backend | undefined {
    const entry = this.#backends.get(name);
    if (!entry) return undefined;
    entry.unsubscribe();
    this.#backends.delete(name);
    this.#schedule();
    return entry.backend;
  }

  /** Set or clear one backend's tool filter/overrides; takes effect with the next recompute. */
  setToolConfig(backend: string, config: Omit<BackendToolConfig, 'backend'> | undefined): void {
    const before = JSON.stringify(this.#toolConfigs.get(backend));
    if (config) this.#toolConfigs.set(backend, config);
    else this.#toolConfigs.delete(backend);
    if (JSON.stringify(config) !== before) this.#schedule();
  }

  /** Listeners get the kinds whose advertised lists changed. Returns an unsubscribe function. */
  onListChanged(listener: (kinds: ReadonlySet<ListChangeKind>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Apply a pending recompute now, so a request right after a backend change sees it. Cheap when none is pending. */
  flush(): void {
    if (!this.#timer) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#recompute();
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const { unsubscribe } of this.#backends.values()) unsubscribe();
    this.#backends.clear();
    this.#listeners.clear();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#recompute();
    }, this.#opts.coalesceMs ?? 25);
    this.#timer.unref();
  }

  #effectiveConfig(): AggregationConfig {
    if (this.#toolConfigs.size === 0) return this.#opts.config;
    const dynamic = [...this.#toolConfigs].map(([backend, cfg]) => ({ ...cfg, backend }));
    const statics = this.#opts.config.tools.filter((t) => !this.#toolConfigs.has(t.backend));
    return { ...this.#opts.config, tools: [...statics, ...dynamic] };
  }

  #recompute(): void {
    const ready: Array<{ name: string; lists: Backend['lists'] }> = [];
    for (const entry of this.#backends.values()) {
      const b = entry.backend;
      // A re-initializing backend keeps its names: calls to it wait for the new session. So does a replacement
      // while it connects, with the lists of the backend it replaced.
      if (entry.inherited && b.state === 'connecting') ready.push({ name: b.info.name, lists: entry.inherited });
      else {
        entry.inherited = undefined;
        if (b.state === 'ready' || b.state === 'reinitializing') ready.push({ name: b.info.name, lists: b.lists });
      }
    }
    const view = aggregate(ready, this.#effectiveConfig());
    const next = fingerprints(view);
    const changed = new Set<ListChangeKind>();
    for (const kind of ['tools', 'resources', 'prompts'] as const) {
      if (next[kind] !== this.#fingerprints[kind]) changed.add(kind);
    }
    this.#view = view;
    this.#fingerprints = next;
    const conflicts = JSON.stringify(view.conflicts);
    if (conflicts !== this.#lastConflicts) {
      this.#lastConflicts = conflicts;
      if (view.conflicts.length > 0) this.#opts.onConflicts?.(view.conflicts);
    }
    const invalid = JSON.stringify(view.invalidNames);
    if (invalid !== this.#lastInvalidNames) {
      this.#lastInvalidNames = invalid;
      this.#opts.onInvalidNames?.(view.invalidNames);
    }
    if (changed.size > 0) for (const listener of this.#listeners) listener(changed);
  }
}

function fingerprints(view: AggregatedView): Record<ListChangeKind, string> {
  return {
    tools: JSON.stringify(view.tools),
    resources: JSON.stringify([view.resources, view.resourceTemplates]),
    prompts: JSON.stringify(view.prompts),
  };
}
