// The gateway's backends as a set that can change while it runs: the static config applies it once; dynamic
// discovery applies it on every change of the group. Each entry is either set up (and opened, unless it is a direct
// backend on a standby replica) or left out with its reason. An entry whose fingerprint changed (new URL, rotated
// secret, new CA) gets a fresh backend session; an unchanged one keeps its session. A fresh session takes the name
// over from the open one at once (calls wait for it to connect) and the old one is closed once the new one settled.
//
// Whatever one backend does (its factory throws, its start or close rejects) is caught here and becomes that
// backend's `failed` state with the reason, in /readyz and the metrics; the other backends and the process go on. A
// failed backend is tried again only when its entry changes (a new fingerprint), never in a loop.
import type { Logger } from 'pino';
import type { BackendToolConfig } from '../api/gateway/config.ts';
import type { Aggregator } from './aggregator.ts';
import type { Backend, BackendState } from './backend.ts';
import type { SetupResult } from './backend-setup.ts';
import type { GatewayMetrics } from './metrics.ts';

export interface DesiredBackend {
  name: string;
  type: 'direct' | 'proxy';
  result: SetupResult;
  /** Changes whenever anything that shapes the session changes (URL, headers, secret values, CA). */
  fingerprint: string;
  /** Per-backend tool filter/overrides (from MCPToolConfig), merged over the static aggregation config. */
  tools?: Omit<BackendToolConfig, 'backend'>;
}

export interface BackendStatus {
  name: string;
  type: 'direct' | 'proxy';
  state: BackendState | 'excluded' | 'standby';
  reason?: string;
  /** The protocol revision agreed with the backend, while its session is ready. */
  protocolVersion?: string;
}

interface Slot {
  desired: DesiredBackend;
  backend: Backend | undefined;
  /** Why this entry's backend could not be built or started; set once, cleared only by a new entry. */
  failure?: string;
}

export interface BackendSetOptions {
  aggregator: Aggregator;
  metrics: GatewayMetrics;
  logger: Logger;
  createBackend: (result: Extract<SetupResult, { ok: true }>['setup'], logger: Logger) => Backend;
  /** Whether this replica may open direct backends. */
  active: () => boolean;
}

/** Longest a replaced backend stays open for requests already running on it while its successor connects. */
const RETIRE_WITHIN_MS = 30_000;

export class BackendSet {
  readonly #slots = new Map<string, Slot>();
  /** Replaced backends not yet closed (see #retire). */
  readonly #retiring = new Set<Backend>();
  readonly #opts: BackendSetOptions;
  /** Names in the order they were declared, for a stable /readyz. */
  #order: string[] = [];
  #closed = false;

  constructor(opts: BackendSetOptions) {
    this.#opts = opts;
  }

  /** Make the set equal to `desired`: add, replace (fingerprint changed), remove; then open what may be open. */
  async apply(desired: readonly DesiredBackend[]): Promise<void> {
    if (this.#closed) return;
    const { aggregator, logger } = this.#opts;
    const wanted = new Map(desired.map((d) => [d.name, d]));
    const closing: Promise<void>[] = [];
    for (const [name, slot] of this.#slots) {
      const next = wanted.get(name);
      if (next && next.fingerprint === slot.desired.fingerprint) {
        slot.desired = next;
        continue;
      }
      if (next?.result.ok && slot.backend && (next.type === 'proxy' || this.#opts.active())) {
        const old = slot.backend;
        Object.assign(slot, { desired: next, backend: undefined, failure: undefined });
        // A successor that cannot be opened leaves the entry failed with its reason, and the old one goes at once.
        const successor = this.#open(slot, true);
        if (!successor) aggregator.remove(name);
        this.#retire(old, successor);
        logger.info({ backend: name }, 'backend changed: opening a new session');
        continue;
      }
      closing.push(this.#shut(slot));
      this.#slots.delete(name);
      if (!next) {
        aggregator.setToolConfig(name, undefined);
        logger.info({ backend: name }, 'backend removed');
      }
    }
    await Promise.all(closing);
    for (const d of desired) {
      aggregator.setToolConfig(d.name, d.tools);
      if (this.#slots.has(d.name)) continue;
      this.#slots.set(d.name, { desired: d, backend: undefined });
      if (!d.result.ok) logger.error({ backend: d.name, reason: d.result.reason }, 'backend left out');
    }
    this.#order = desired.map((d) => d.name);
    this.refresh();
  }

  /** Open or close backends for the replica's current state. */
  refresh(): void {
    if (this.#closed) return;
    const active = this.#opts.active();
    for (const slot of this.#slots.values()) {
      if (!slot.desired.result.ok) continue;
      if (slot.desired.type === 'proxy' || active) this.#open(slot);
      else void this.#shut(slot);
    }
    this.#count();
  }

  statuses(): BackendStatus[] {
    return this.#order.flatMap((name): BackendStatus[] => {
      const slot = this.#slots.get(name);
      if (!slot) return [];
      const { type, result } = slot.desired;
      if (!result.ok) return [{ name, type, state: 'excluded', reason: result.reason }];
      if (slot.failure) return [{ name, type, state: 'failed', reason: slot.failure }];
      const backend = slot.backend;
      if (!backend) return [{ name, type, state: 'standby', reason: 'this replica does not hold the Lease' }];
      return [
        {
          name,
          type,
          state: backend.state,
          ...(backend.reason ? { reason: backend.reason } : {}),
          ...(backend.protocolVersion ? { protocolVersion: backend.protocolVersion } : {}),
        },
      ];
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const retiring = [...this.#retiring];
    this.#retiring.clear();
    await Promise.allSettled([
      ...[...this.#slots.values()].map((s) => this.#shut(s)),
      ...retiring.map((b) => this.#close(b)),
    ]);
    this.#slots.clear();
  }

  #open(slot: Slot, handover = false): Backend | undefined {
    if (slot.backend || slot.failure || !slot.desired.result.ok) return slot.backend;
    const setup = slot.desired.result.setup;
    let backend: Backend;
    try {
      backend = this.#opts.createBackend(setup, this.#opts.logger.child({ backend: setup.info.name }));
    } catch (err) {
      this.#fail(slot, `cannot be set up: ${errorText(err)}`);
      return undefined;
    }
    slot.backend = backend;
    backend.onChange(() => this.#count());
    try {
      if (handover) this.#opts.aggregator.replace(backend);
      else this.#opts.aggregator.add(backend);
    } catch (err) {
      slot.backend = undefined;
      this.#fail(slot, `cannot be served: ${errorText(err)}`);
      void this.#close(backend);
      return undefined;
    }
    let started: Promise<void>;
    try {
      started = backend.start();
    } catch (err) {
      started = Promise.reject(err);
    }
    started.catch((err: unknown) => {
      // A backend that was replaced or shut meanwhile is no longer this slot's concern.
      if (slot.backend !== backend) return;
      void this.#shut(slot);
      this.#fail(slot, `cannot start: ${errorText(err)}`);
    });
    return backend;
  }

  /** Close a replaced backend once its successor left `connecting` (bounded): requests running on it may finish. */
  #retire(old: Backend, successor: Backend | undefined): void {
    this.#retiring.add(old);
    const close = () => {
      clearTimeout(timer);
      unsubscribe?.();
      if (!this.#retiring.delete(old)) return;
      void this.#close(old).finally(() => this.#count());
    };
    const timer = setTimeout(close, RETIRE_WITHIN_MS);
    timer.unref();
    const unsubscribe = successor?.onChange(() => {
      if (successor.state !== 'connecting') close();
    });
    if (successor?.state !== 'connecting') close();
  }

  /** Record why this entry's backend cannot run; it stays out until the entry changes. */
  #fail(slot: Slot, reason: string): void {
    if (slot.failure) return;
    slot.failure = reason;
    this.#opts.logger.error({ backend: slot.desired.name, reason }, 'backend failed');
    this.#count();
  }

  async #shut(slot: Slot): Promise<void> {
    const backend = slot.backend;
    if (!backend) return;
    slot.backend = undefined;
    this.#opts.aggregator.remove(backend.info.name);
    await this.#close(backend);
    this.#count();
  }

  /** Close, whatever the backend does: a close that rejects is logged, never passed on. */
  async #close(backend: Backend): Promise<void> {
    try {
      await backend.close();
    } catch (err) {
      this.#opts.logger.warn({ backend: backend.info.name, err: errorText(err) }, 'backend did not close cleanly');
    }
  }

  #count(): void {
    const { backendsByState, backendState } = this.#opts.metrics;
    backendsByState.reset();
    backendState.reset();
    for (const s of this.statuses()) {
      backendsByState.inc({ state: s.state });
      backendState.set({ backend: s.name, state: s.state, reason: s.reason ?? '' }, 1);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
