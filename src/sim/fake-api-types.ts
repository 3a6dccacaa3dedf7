// The in-memory API server's vocabulary: the objects it stores, its errors, the faults it injects, its watch
// callbacks and label selectors. (The server itself is fake-apiserver.ts.)

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

export class FakeApiError extends Error {
  readonly code: number;
  readonly retryAfterMs: number | undefined;
  constructor(code: number, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'FakeApiError';
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface ApiFaults {
  /** Probability that a write fails with a spurious 409 (someone else wrote first). */
  conflict: number;
  throttle: number;
  serverError: number;
  /** Latency range of every request, in ms. */
  latencyMs: [number, number];
  /** Probability that a watch connection breaks after delivering an event. */
  watchDisconnect: number;
}

export const NO_FAULTS: ApiFaults = { conflict: 0, throttle: 0, serverError: 0, latencyMs: [1, 1], watchDisconnect: 0 };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface WatchHandlers {
  onEvent(type: WatchEventType, object: KubeObject): void;
  /**
   * The watch ended: `code` 410 means the resourceVersion is too old (relist), 200 that it ended normally (its
   * timeout ran out, or the caller aborted it), anything else that the connection broke (re-watch).
   */
  onClose(code: number | undefined): void;
}

/** A normal end of a watch: the server's timeout, or the caller's abort. */
export const WATCH_ENDED = 200;

export interface WatchOptions {
  labelSelector?: string;
  /** The server ends the watch normally after this long, as kube-apiserver does with `timeoutSeconds`. */
  timeoutMs?: number;
  /** Aborting ends the watch at once (onClose(200)); an already aborted signal starts none. */
  signal?: AbortSignal;
}

/** Equality-based label selectors (`a=b,c=d`), which is what the operator uses. */
export function labelMatcher(selector: string | undefined): (obj: KubeObject) => boolean {
  if (!selector) return () => true;
  const pairs = selector.split(',').map((p) => p.split('=').map((s) => s.trim()) as [string, string]);
  return (obj) => pairs.every(([k, v]) => obj.metadata.labels?.[k] === v);
}

export type ValidationHook = (resource: string, next: KubeObject, old: KubeObject | undefined) => string | undefined;
