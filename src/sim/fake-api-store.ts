// The in-memory API server's bookkeeping shapes: a stored object, a history entry (what watches replay), a live watch,
// and the pure helpers over them.
import type { KubeObject, WatchEventType, WatchHandlers } from './fake-api-types.ts';

export interface Stored {
  resource: string;
  object: KubeObject;
}

export interface HistoryEntry {
  rv: number;
  resource: string;
  namespace: string;
  type: WatchEventType;
  object: KubeObject;
}

export interface Watch {
  resource: string;
  /** Ends the watch: no more events, its timeout and abort listener released. Idempotent. */
  end(): void;
  namespace: string | undefined;
  handlers: WatchHandlers;
  closed: boolean;
  queue: HistoryEntry[];
  pumping: boolean;
  matches: (obj: KubeObject) => boolean;
}

export const clone = <T>(v: T): T => structuredClone(v);

/** A copy of what a caller handed in; frozen parts (stored versions it read) are immutable, so they are shared. */
export const copyUnfrozen = <T>(v: T): T => (Object.isFrozen(v) ? v : structuredClone(v));

/**
 * Freezes a version before it is stored: every reader (responses, watch events, history) then shares it, and code
 * that would change a cached object in place fails at once instead of corrupting what other readers see. Parts
 * already frozen (shared with the previous version) are not walked again.
 */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  for (const child of Object.values(v)) deepFreeze(child);
  return Object.freeze(v);
}
export const keyOf = (ns: string, name: string) => `${ns}|${name}`;

/** Told synchronously of every stored change, before any watch hears of it: incremental invariant checks. */
export type ChangeListener = (resource: string, type: WatchEventType, object: Readonly<KubeObject>) => void;

/** The index of the first history entry after `rv`: history is in resourceVersion order. */
export function firstAfter(history: readonly HistoryEntry[], rv: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((history[mid] as HistoryEntry).rv > rv) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
