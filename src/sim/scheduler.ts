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
    return new Promise((resolve, reject) => {
      this.schedule(label, delayMs, () => {
        try {
          Promise.resolve(produce()).then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /** Cancels every pending task (at shutdown). */
  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}

/** Lets every pending promise reaction run: setImmediate fires only after the microtask queue is empty. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SimScheduler implements TaskScheduler {
  #now = 0;
  #seq = 0;
  readonly #tasks = new Map<number, SimTask>();
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
    this.#tasks.set(id, { id, due: this.#now + Math.max(0, Math.round(delayMs)), label, run: fn });
    return id;
  }

  cancel(id: number): void {
    this.#tasks.delete(id);
  }

  /** A promise that resolves (or rejects) after `delayMs` of virtual time: simulated latency. */
  after<T>(label: string, delayMs: number, produce: () => T): Promise<Awaited<T>> {
    return new Promise((resolve, reject) => {
      this.schedule(label, delayMs, () => {
        try {
          Promise.resolve(produce()).then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
    });
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
    let min: number | undefined;
    for (const t of this.#tasks.values()) if (min === undefined || t.due < min) min = t.due;
    return min;
  }

  /**
   * Runs one task: the earliest due, chosen by the seeded generator among ties (ties are listed in creation order,
   * so the choice depends only on the seed and the history). Returns the task, or undefined when none is due by
   * `untilMs`.
   */
  async step(untilMs = Number.POSITIVE_INFINITY): Promise<SimTask | undefined> {
    const due = this.nextDue();
    if (due === undefined || due > untilMs) return undefined;
    const ready = [...this.#tasks.values()].filter((t) => t.due === due).sort((a, b) => a.id - b.id);
    const task = ready.length === 1 ? ready[0]! : ready[Math.floor(this.#rng.next() * ready.length)]!;
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
