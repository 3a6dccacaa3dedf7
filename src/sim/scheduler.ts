// The simulator's only source of time and ordering. A discrete-event scheduler: tasks wait in a queue keyed by their
// due time; the run loop jumps virtual time to the earliest due task, picks among tasks due at the same instant with
// the seeded generator (so a seed explores one interleaving and replays it exactly), runs it, and lets every promise
// it started settle before the next pick. It is also the XState clock of the simulated actor system, so delayed
// transitions are ordinary tasks here.
import type { Rng } from '../runtime/random.ts';

export interface SimTask {
  id: number;
  due: number;
  label: string;
  run: () => void;
}

/** What the in-memory API server needs from time: the simulator's scheduler, or real time for `mcpre up`. */
export interface TaskScheduler {
  now(): number;
  schedule(label: string, delayMs: number, fn: () => void): number;
  cancel(id: number): void;
  after<T>(label: string, delayMs: number, produce: () => T): Promise<Awaited<T>>;
}

/** Real time behind the same interface: the in-memory API server of `mcpre up` runs on it. */
export class RealTimeScheduler implements TaskScheduler {
  #seq = 0;
  readonly #timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  schedule(_label: string, delayMs: number, fn: () => void): number {
    const id = ++this.#seq;
    this.#timers.set(
      id,
      setTimeout(() => {
        this.#timers.delete(id);
        fn();
      }, delayMs),
    );
    return id;
  }

  cancel(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  after<T>(label: string, delayMs: number, produce: () => T): Promise<Awaited<T>> {
    return afterDelay(this, label, delayMs, produce);
  }

  /** Cancels every pending task (at shutdown). */
  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}

/** A promise settled with what `produce` gives (or throws) once `delayMs` have passed on `scheduler`. */
function afterDelay<T>(
  scheduler: Pick<TaskScheduler, 'schedule'>,
  label: string,
  delayMs: number,
  produce: () => T,
): Promise<Awaited<T>> {
  return new Promise((resolve, reject) => {
    scheduler.schedule(label, delayMs, () => {
      try {
        Promise.resolve(produce()).then(resolve, reject);
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Lets every pending promise reaction run: setImmediate fires only after the microtask queue is empty. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A binary min-heap of numbers: the distinct instants at which tasks are due. */
class MinHeap {
  readonly #a: number[] = [];

  get size(): number {
    return this.#a.length;
  }

  peek(): number | undefined {
    return this.#a[0];
  }

  push(v: number): void {
    const a = this.#a;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }

  pop(): number | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

export class SimScheduler implements TaskScheduler {
  #now = 0;
  #seq = 0;
  /** Live tasks by id. */
  readonly #tasks = new Map<number, SimTask>();
  /** Live tasks by due instant, each list in creation (= id) order; an instant is in the heap once. */
  readonly #byDue = new Map<number, SimTask[]>();
  readonly #dues = new MinHeap();
  readonly #rng: Rng;
  steps = 0;

  constructor(rng: Rng, startMs = 0) {
    this.#rng = rng;
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Runs `fn` after `delayMs` of virtual time. */
  schedule(label: string, delayMs: number, fn: () => void): number {
    const id = ++this.#seq;
    // Whole milliseconds: jittered delays would otherwise print as long fractions in the log.
    const task: SimTask = { id, due: this.#now + Math.max(0, Math.round(delayMs)), label, run: fn };
    this.#tasks.set(id, task);
    const bucket = this.#byDue.get(task.due);
    if (bucket) bucket.push(task);
    else {
      this.#byDue.set(task.due, [task]);
      this.#dues.push(task.due);
    }
    return id;
  }

  cancel(id: number): void {
    const task = this.#tasks.get(id);
    if (!task) return;
    this.#tasks.delete(id);
    const bucket = this.#byDue.get(task.due)!;
    bucket.splice(bucket.indexOf(task), 1);
    // An emptied instant stays in the heap until it comes up; nextDue skips it then.
  }

  /** A promise that resolves (or rejects) after `delayMs` of virtual time: simulated latency. */
  after<T>(label: string, delayMs: number, produce: () => T): Promise<Awaited<T>> {
    return afterDelay(this, label, delayMs, produce);
  }

  // XState's Clock interface.
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    return this.schedule('timer', timeout, fn);
  }

  clearTimeout(id: unknown): void {
    this.cancel(id as number);
  }

  pending(): number {
    return this.#tasks.size;
  }

  nextDue(): number | undefined {
    for (;;) {
      const due = this.#dues.peek();
      if (due === undefined) return undefined;
      if (this.#byDue.get(due)?.length) return due;
      this.#dues.pop();
      this.#byDue.delete(due);
    }
  }

  /**
   * Runs one task: the earliest due, chosen by the seeded generator among ties (ties are listed in creation order,
   * so the choice depends only on the seed and the history). Returns the task, or undefined when none is due by
   * `untilMs`.
   */
  async step(untilMs = Number.POSITIVE_INFINITY): Promise<SimTask | undefined> {
    const due = this.nextDue();
    if (due === undefined || due > untilMs) return undefined;
    const ready = this.#byDue.get(due)!;
    const i = ready.length === 1 ? 0 : Math.floor(this.#rng.next() * ready.length);
    const task = ready[i]!;
    ready.splice(i, 1);
    this.#tasks.delete(task.id);
    this.#now = due;
    this.steps += 1;
    task.run();
    await settle();
    return task;
  }

  /** Runs tasks until virtual time `untilMs`, a step budget, or an empty queue; time ends at `untilMs`. */
  async runUntil(untilMs: number, opts: { maxSteps?: number; afterStep?: (t: SimTask) => void | Promise<void> } = {}) {
    const max = opts.maxSteps ?? Number.POSITIVE_INFINITY;
    let n = 0;
    await settle();
    while (n < max) {
      const task = await this.step(untilMs);
      if (!task) break;
      n += 1;
      await opts.afterStep?.(task);
    }
    if (n < max) this.#now = Math.max(this.#now, untilMs);
    return n;
  }
}
