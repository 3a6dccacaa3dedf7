// Every state-machine actor of a process (endpoints, backend sessions, the gateway replica) as a person debugging
// it wants to see them: which machine, which state, a context summary without secrets, and the last transitions
// with time, event and reason. Fed by XState's inspection API; time comes from the injected clock.
import type { InspectionEvent } from 'xstate';

export interface TransitionRecord {
  at: number;
  event: string;
  from: unknown;
  to: unknown;
  reason?: string;
}

export interface ActorRecord {
  id: string;
  machine: string;
  status: string;
  value: unknown;
  context: Record<string, unknown>;
  transitions: TransitionRecord[];
  updatedAt: number;
}

export type ContextSummarizer = (machine: string, context: unknown) => Record<string, unknown>;

const SECRET_KEY = /secret|token|password|passwd|authorization|credential|apikey|api_key|cookie|header/i;

/**
 * Default summary: the primitive fields of the context, and the length of arrays, leaving out anything whose name
 * suggests a secret. Machines with richer context pass their own summarizer.
 */
export const defaultSummarizer: ContextSummarizer = (_machine, context) => {
  const out: Record<string, unknown> = {};
  if (!context || typeof context !== 'object') return out;
  for (const [k, v] of Object.entries(context)) {
    if (SECRET_KEY.test(k)) continue;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
    else if (Array.isArray(v)) out[k] = `[${v.length}]`;
  }
  return out;
};

interface ActorRefLike {
  id: string;
  sessionId: string;
  logic: unknown;
  options?: { systemId?: string };
  getSnapshot(): { status?: string; value?: unknown; context?: unknown };
}

function machineId(ref: ActorRefLike): string | undefined {
  const logic = ref.logic as { root?: unknown; id?: string } | undefined;
  return logic && typeof logic === 'object' && 'root' in logic ? logic.id : undefined;
}

function reasonOf(event: Record<string, unknown>, context: unknown): string | undefined {
  if (typeof event.reason === 'string') return event.reason;
  const err = event.error;
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  const ctx = context as { reason?: unknown } | undefined;
  return typeof ctx?.reason === 'string' ? ctx.reason : undefined;
}

export class ActorDirectory {
  readonly #now: () => number;
  readonly #max: number;
  readonly #summarize: ContextSummarizer;
  readonly #actors = new Map<string, ActorRecord>();
  /** Ids of actors that stopped, oldest first: kept for a look at how they ended, up to #maxStopped. */
  readonly #stopped = new Set<string>();
  readonly #maxStopped: number;
  readonly #listeners = new Set<(record: ActorRecord, removed: boolean) => void>();

  constructor(opts: {
    now: () => number;
    maxTransitions?: number;
    maxStopped?: number;
    summarize?: ContextSummarizer;
  }) {
    this.#now = opts.now;
    this.#max = opts.maxTransitions ?? 20;
    this.#maxStopped = opts.maxStopped ?? 100;
    this.#summarize = opts.summarize ?? defaultSummarizer;
  }

  /** Pass as `inspect` to the root `createActor`: it sees every descendant. */
  readonly inspect = (ev: InspectionEvent): void => {
    const ref = ev.actorRef as unknown as ActorRefLike;
    const machine = machineId(ref);
    if (!machine) return;
    const id = ref.options?.systemId ?? ref.id;
    if (ev.type !== '@xstate.snapshot') return;
    const snap = ev.snapshot as { status?: string; value?: unknown; context?: unknown };
    const prev = this.#actors.get(id);
    const event = (ev.event ?? {}) as Record<string, unknown>;
    const record: ActorRecord = prev ?? {
      id,
      machine,
      status: 'active',
      value: undefined,
      context: {},
      transitions: [],
      updatedAt: this.#now(),
    };
    const changed = !sameValue(prev?.value, snap.value);
    record.status = snap.status ?? 'active';
    record.context = this.#summarize(machine, snap.context);
    record.updatedAt = this.#now();
    if (changed || !prev) {
      const t: TransitionRecord = {
        at: this.#now(),
        event: String(event.type ?? ''),
        from: prev?.value,
        to: snap.value,
      };
      const reason = reasonOf(event, snap.context);
      if (reason) t.reason = reason;
      record.transitions = [...record.transitions, t].slice(-this.#max);
    }
    record.value = snap.value;
    this.#actors.set(id, record);
    this.#noteStopped(id, record.status !== 'active');
    this.#emit(record, false);
  };

  /** Stopped actors (deleted objects, closed sessions) are kept for a while, not forever. */
  #noteStopped(id: string, stopped: boolean): void {
    this.#stopped.delete(id);
    if (!stopped) return;
    this.#stopped.add(id);
    if (this.#stopped.size <= this.#maxStopped) return;
    const [oldest] = this.#stopped;
    if (oldest !== undefined) this.remove(oldest);
  }

  /** Forget an actor (its object is gone). */
  remove(id: string): void {
    const rec = this.#actors.get(id);
    if (!rec) return;
    this.#actors.delete(id);
    this.#stopped.delete(id);
    this.#emit(rec, true);
  }

  list(): ActorRecord[] {
    return [...this.#actors.values()].sort((a, b) => a.machine.localeCompare(b.machine) || a.id.localeCompare(b.id));
  }

  get(id: string): ActorRecord | undefined {
    return this.#actors.get(id);
  }

  subscribe(listener: (record: ActorRecord, removed: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(record: ActorRecord, removed: boolean): void {
    for (const l of this.#listeners) l(record, removed);
  }
}

/** Two state values (a string, or nested objects of them) name the same state. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
