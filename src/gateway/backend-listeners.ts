// The listeners every Backend implementation keeps: who hears of a change (state, lists) and of a backend's
// `notifications/resources/updated`. A failing change listener is logged, never thrown into the backend.
import type { Logger } from 'pino';

export class BackendListeners {
  readonly #changed = new Set<() => void>();
  readonly #updated = new Set<(uri: string) => void>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  onChange(listener: () => void): () => void {
    this.#changed.add(listener);
    return () => this.#changed.delete(listener);
  }

  onResourceUpdated(listener: (uri: string) => void): () => void {
    this.#updated.add(listener);
    return () => this.#updated.delete(listener);
  }

  changed(): void {
    for (const listener of this.#changed) {
      try {
        listener();
      } catch (err) {
        this.#logger.error({ err: String(err) }, 'backend change listener failed');
      }
    }
  }

  resourceUpdated(uri: string): void {
    for (const listener of this.#updated) listener(uri);
  }
}
