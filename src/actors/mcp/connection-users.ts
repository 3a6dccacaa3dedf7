// What both kinds of backend connection (2025-era McpConnection, 2026-07-28 ModernConnection) share about who uses
// them: the owner's event listeners, and a local close that lets callers' requests in flight finish first. Each
// request is bounded by its timeout, so the wait is too.
import type { ConnectionEvent } from './protocol.ts';

export class ConnectionUsers {
  readonly #listeners = new Set<(event: ConnectionEvent) => void>();
  readonly #closeNow: () => void | Promise<void>;
  #pending = 0;
  #closeRequested = false;

  /** `closeNow` closes at once; it runs when a close was asked for and the last request in flight ends. */
  constructor(closeNow: () => void | Promise<void>) {
    this.#closeNow = closeNow;
  }

  onEvent(listener: (event: ConnectionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: ConnectionEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** No listener hears anything after this. */
  forget(): void {
    this.#listeners.clear();
  }

  /**
   * Runs one caller's request; a close asked for meanwhile happens when the last one ends. One `then` with handlers
   * made once per connection: an async wrapper would cost every call a promise, a frame and an await turn more.
   */
  request<T>(run: () => Promise<T>): Promise<T> {
    this.#pending++;
    let running: Promise<T>;
    try {
      running = run();
    } catch (err) {
      running = Promise.reject(err);
    }
    return running.then(this.#ended as (value: T) => T, this.#failed);
  }

  readonly #ended = <T>(value: T): T => {
    this.#leave();
    return value;
  };

  readonly #failed = (err: unknown): never => {
    this.#leave();
    throw err;
  };

  #leave(): void {
    this.#pending--;
    if (this.#closeRequested && this.#pending === 0) void this.#closeNow();
  }

  /** Close locally: at once when nothing is in flight, else when the last request ends. */
  async close(): Promise<void> {
    this.#listeners.clear();
    if (this.#pending > 0) {
      this.#closeRequested = true;
      return;
    }
    await this.#closeNow();
  }
}
