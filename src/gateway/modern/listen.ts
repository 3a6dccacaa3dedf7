// `subscriptions/listen` streams of 2026-07-28 clients: one long-lived SSE answer per listen request, carrying only
// the change notifications the client opted into, each tagged with the subscription id (the listen request's id).
// List changes come from the session bus, as 2025 sessions hear them: with replicas on a shared store, a change any
// replica saw reaches the streams every replica holds. The bus delivers a list only when its digest differs from the
// last one announced, so a change is announced once when the replicas see the changes in the same order; a replica
// that sees an older list after a newer one was announced announces it again (a spurious, never a lost, notice).
// Resource updates come through the shared ResourceSubscriptions, each stream subscribed under a key of its own: the
// replica holding the stream subscribed its own backend session, so the backend's updates arrive there. The
// acknowledgement goes first; the stream ends when the client closes it, or, with a final result (graceful closure),
// when the gateway shuts down.
import type { ServerResponse } from 'node:http';
import { META_SUBSCRIPTION_ID } from '../../actors/mcp/modern/envelope.ts';
import type { ListChangeKind } from '../aggregator.ts';
import { KeepAlive, SSE_HEADERS, sseEvent, writeJson } from '../exchange.ts';
import type { SessionBus } from '../sessions/store.ts';
import type { ResourceSubscriptions } from '../subscriptions.ts';

/** What a client may opt into, per the spec's notification filter. */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

const FLAG: Record<ListChangeKind, keyof SubscriptionFilter> = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
};

/** Subscription keys of listen streams in ResourceSubscriptions (2025 sessions use their session ids). */
export const LISTEN_KEY_PREFIX = 'listen:';

interface Stream {
  id: string | number;
  key: string;
  res: ServerResponse;
  honored: SubscriptionFilter;
}

export interface ListenOptions {
  subscriptions: ResourceSubscriptions;
  /** Where list changes come from (every replica's, on a shared store). */
  bus: SessionBus;
  /** At most this many open streams; one more is refused in-band. */
  maxStreams: number;
  /** SSE comment keep-alive, so idle intermediaries do not cut a quiet stream (0: none). */
  keepAliveMs: number;
}

export class ListenStreams {
  readonly #streams = new Map<string, Stream>();
  readonly #opts: ListenOptions;
  readonly #keepAlive: KeepAlive;
  readonly #off: () => void;
  #next = 0;

  constructor(opts: ListenOptions) {
    this.#opts = opts;
    this.#keepAlive = new KeepAlive(opts.keepAliveMs);
    this.#off = opts.bus.subscribe((signal) => {
      if (signal.type === 'lists-changed') this.announce(signal.kinds);
    });
  }

  get size(): number {
    return this.#streams.size;
  }

  async open(res: ServerResponse, id: string | number, requested: SubscriptionFilter): Promise<void> {
    if (this.#streams.size >= this.#opts.maxStreams) {
      return writeJson(res, 200, {
        jsonrpc: '2.0',
        id,
        error: { code: -32603, message: `Subscription limit reached (${this.#opts.maxStreams} open streams)` },
      });
    }
    const key = `${LISTEN_KEY_PREFIX}${++this.#next}`;
    const honored: SubscriptionFilter = {};
    for (const flag of Object.values(FLAG))
      if (requested[flag] === true) (honored as Record<string, boolean>)[flag] = true;
    const stream: Stream = { id, key, res, honored };
    // Registered first, so a close or a shutdown while the resource subscriptions are made finds it; nothing is
    // written to it before the acknowledgement (#send).
    this.#streams.set(key, stream);
    res.once('close', () => this.#drop(key));
    const uris = Array.isArray(requested.resourceSubscriptions)
      ? requested.resourceSubscriptions.filter((u): u is string => typeof u === 'string')
      : [];
    const subscribed: string[] = [];
    for (const uri of uris) {
      if (res.destroyed) return;
      // A URI no backend serves, or whose backend cannot subscribe, is left out of the acknowledgement.
      const ok = await this.#opts.subscriptions.subscribe(key, uri).then(
        () => true,
        () => false,
      );
      if (ok) subscribed.push(uri);
    }
    if (uris.length > 0) honored.resourceSubscriptions = subscribed;
    if (res.destroyed) return;
    res.writeHead(200, SSE_HEADERS);
    res.write(
      sseEvent({
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { _meta: { [META_SUBSCRIPTION_ID]: id }, notifications: honored },
      }),
    );
    this.#keepAlive.add(res);
  }

  /** The aggregate's lists changed: tell the streams that opted in. */
  announce(kinds: readonly ListChangeKind[]): void {
    for (const stream of this.#streams.values()) {
      for (const kind of kinds) {
        if (stream.honored[FLAG[kind]]) this.#send(stream, `notifications/${kind}/list_changed`, {});
      }
    }
  }

  /** A backend said `uri` changed, for the stream subscribed under `key`. */
  resourceUpdated(key: string, uri: string): void {
    const stream = this.#streams.get(key);
    if (stream) this.#send(stream, 'notifications/resources/updated', { uri });
  }

  /** Graceful closure: each stream gets the final result of its listen request, then ends. */
  closeAll(): void {
    this.#off();
    for (const stream of [...this.#streams.values()]) {
      this.#drop(stream.key);
      if (!stream.res.headersSent || stream.res.destroyed) continue;
      stream.res.end(
        sseEvent({
          jsonrpc: '2.0',
          id: stream.id,
          result: { resultType: 'complete', _meta: { [META_SUBSCRIPTION_ID]: stream.id } },
        }),
      );
    }
  }

  #send(stream: Stream, method: string, params: Record<string, unknown>): void {
    // Before the acknowledgement nothing may be sent; the state the client reads after it is current anyway.
    if (!stream.res.headersSent || stream.res.destroyed) return;
    stream.res.write(
      sseEvent({ jsonrpc: '2.0', method, params: { ...params, _meta: { [META_SUBSCRIPTION_ID]: stream.id } } }),
    );
  }

  #drop(key: string): void {
    if (!this.#streams.delete(key)) return;
    void this.#opts.subscriptions.dropSession(key);
  }
}
