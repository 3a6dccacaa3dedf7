// resources/subscribe across a shared backend session: clients subscribe per URI; the backend hears one subscribe
// when the first client subscribes and one unsubscribe when the last leaves; its `resources/updated` notifications
// fan out to the subscribed clients only. After a backend re-initializes (a new session knows nothing of the old
// subscriptions), every URI it serves is subscribed again.

import type { Logger } from 'pino';
import { ErrorCode } from '../api/mcp-errors.ts';
import { routeResource } from './aggregate.ts';
import type { Aggregator } from './aggregator.ts';
import type { Backend } from './backend.ts';
import { forwardFailure, RequestError } from './forward-errors.ts';

interface Entry {
  backend: string;
  sessions: Set<string>;
}

export class ResourceSubscriptions {
  readonly #byUri = new Map<string, Entry>();
  readonly #watched = new Map<string, { unsubscribe: () => void; wasReady: boolean }>();
  readonly #aggregator: Aggregator;
  readonly #notify: (sessionId: string, uri: string) => void;
  readonly #logger: Logger;

  constructor(opts: { aggregator: Aggregator; notify: (sessionId: string, uri: string) => void; logger: Logger }) {
    this.#aggregator = opts.aggregator;
    this.#notify = opts.notify;
    this.#logger = opts.logger;
  }

  async subscribe(sessionId: string, uri: string): Promise<void> {
    this.#aggregator.flush();
    const existing = this.#byUri.get(uri);
    if (existing) {
      existing.sessions.add(sessionId);
      return;
    }
    const name = routeResource(this.#aggregator.view, uri);
    const backend = name === undefined ? undefined : this.#aggregator.backend(name);
    if (!backend) throw new RequestError(-32002, `Resource not found: no backend serves ${uri}`, { uri });
    if (!backend.capabilities?.resources?.subscribe) {
      throw new RequestError(
        ErrorCode.InvalidParams,
        `backend "${backend.info.name}" does not support resource subscriptions`,
      );
    }
    this.#watch(backend);
    await backend.request('resources/subscribe', { uri }).catch((err: unknown) => {
      throw forwardFailure(backend.info.name, 'resources/subscribe', err);
    });
    // Another client may have subscribed while the backend answered.
    const raced = this.#byUri.get(uri);
    if (raced) raced.sessions.add(sessionId);
    else this.#byUri.set(uri, { backend: backend.info.name, sessions: new Set([sessionId]) });
  }

  async unsubscribe(sessionId: string, uri: string): Promise<void> {
    const entry = this.#byUri.get(uri);
    if (!entry?.sessions.delete(sessionId) || entry.sessions.size > 0) return;
    this.#byUri.delete(uri);
    await this.#aggregator
      .backend(entry.backend)
      ?.request('resources/unsubscribe', { uri })
      .catch((err) => this.#logger.debug({ uri, err: String(err) }, 'backend unsubscribe failed'));
  }

  /** A client session ended: drop its subscriptions. */
  async dropSession(sessionId: string): Promise<void> {
    const uris = [...this.#byUri].filter(([, e]) => e.sessions.has(sessionId)).map(([uri]) => uri);
    await Promise.allSettled(uris.map((uri) => this.unsubscribe(sessionId, uri)));
  }

  close(): void {
    for (const w of this.#watched.values()) w.unsubscribe();
    this.#watched.clear();
    this.#byUri.clear();
  }

  #watch(backend: Backend): void {
    const name = backend.info.name;
    if (this.#watched.has(name)) return;
    const offUpdates = backend.onResourceUpdated((uri) => {
      const entry = this.#byUri.get(uri);
      if (entry?.backend !== name) return;
      for (const sessionId of entry.sessions) this.#notify(sessionId, uri);
    });
    const watch = { wasReady: backend.state === 'ready', unsubscribe: () => {} };
    const offChange = backend.onChange(() => {
      const ready = backend.state === 'ready';
      if (ready && !watch.wasReady) void this.#resubscribe(backend);
      watch.wasReady = ready;
    });
    watch.unsubscribe = () => {
      offUpdates();
      offChange();
    };
    this.#watched.set(name, watch);
  }

  async #resubscribe(backend: Backend): Promise<void> {
    const uris = [...this.#byUri].filter(([, e]) => e.backend === backend.info.name).map(([uri]) => uri);
    for (const uri of uris) {
      await backend
        .request('resources/subscribe', { uri })
        .catch((err) =>
          this.#logger.warn({ backend: backend.info.name, uri, err: String(err) }, 're-subscribe failed'),
        );
    }
  }
}
