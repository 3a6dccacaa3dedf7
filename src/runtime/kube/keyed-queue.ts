// A de-duplicating work queue keyed by object: a key is processed by at most one worker at a time, adding a key that
// is already waiting does nothing, adding one that is being processed runs it once more afterwards (so no change is
// missed), and a failed key is retried with exponential backoff. p-queue has no keys (library notes §8), so this
// is the controller-runtime workqueue in miniature.

import { backoffMs, fromTop } from '../../api/backoff.ts';
import { type RuntimeClock, systemClock } from '../clock.ts';
import type { Rng } from '../random.ts';

export interface KeyedQueueOptions {
  concurrency: number;
  handler: (key: string, signal: AbortSignal) => Promise<void>;
  rng: Rng;
  retry?: { baseMs: number; maxMs: number };
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  clock?: RuntimeClock;
}

export class KeyedQueue {
  private readonly waiting = new Set<string>();
  private readonly order: string[] = [];
  private readonly active = new Set<string>();
  private readonly again = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Map<string, unknown>();
  private readonly stopper = new AbortController();
  private idleWaiters: (() => void)[] = [];
  private readonly opts: KeyedQueueOptions;

  constructor(opts: KeyedQueueOptions) {
    this.opts = opts;
  }

  private get clock(): RuntimeClock {
    return this.opts.clock ?? systemClock;
  }

  /**
   * Queues `key`. With `delayMs`, the key is queued only after that long, and further adds in the meantime fold into
   * it (a debounce: a burst of changes to one group becomes one write).
   */
  add(key: string, delayMs = 0): void {
    if (this.stopper.signal.aborted) return;
    if (delayMs > 0) {
      if (this.timers.has(key)) return;
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs);
      this.timers.set(key, timer);
      return;
    }
    if (this.active.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Resolves when nothing is waiting, running or scheduled for retry. */
  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pending(): number {
    return this.waiting.size + this.active.size + this.timers.size;
  }

  stop(): void {
    this.stopper.abort();
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    this.waiting.clear();
    this.order.length = 0;
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.waiting.size === 0 && this.active.size === 0 && this.timers.size === 0;
  }

  private pump(): void {
    while (this.active.size < this.opts.concurrency && this.order.length > 0) {
      const key = this.order.shift() as string;
      if (!this.waiting.delete(key)) continue;
      this.active.add(key);
      void this.run(key);
    }
    this.notifyIdle();
  }

  private async run(key: string): Promise<void> {
    try {
      await this.opts.handler(key, this.stopper.signal);
      this.attempts.delete(key);
    } catch (err) {
      if (!this.stopper.signal.aborted) this.retryLater(key, err);
    } finally {
      this.active.delete(key);
      if (this.again.delete(key)) this.add(key);
      this.pump();
    }
  }

  private retryLater(key: string, err: unknown): void {
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const { baseMs, maxMs } = this.opts.retry ?? { baseMs: 500, maxMs: 60_000 };
    const delay = backoffMs({ baseMs, maxMs, jitter: 0.5 }, attempt - 1, { rng: fromTop(this.opts.rng) });
    this.opts.onError?.(key, err, delay);
    this.add(key, delay);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
