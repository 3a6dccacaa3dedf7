// The one Redis connection of a process (node-redis, `@redis/client`), and a second one for pub/sub (a subscribed
// connection can run nothing else). Reconnection waits come from the project's backoff; while disconnected every
// command fails at once (no offline queue: a caller must learn that the store is down, not wait on it), and a command
// that gets no answer is given up after a bound. `state()` says whether it is usable and, when not, why, for /readyz.
// The password is given to the client only: it is not part of any URL, log line or error this file makes. TLS
// (rediss://, with an optional CA file and client certificate) is set up in redis-tls.ts; a file that cannot be used is
// the reason the connection is never ready, and a certificate either side refuses is told as such, not as a bare
// OpenSSL code. With `watchTls`, changed files (a renewed certificate, redis-tls-watch.ts) are taken up by new clients
// that replace the old ones once the server accepts them.
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionTimeoutError, createClient, type RedisClientType } from '@redis/client';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffMs } from '../api/backoff.ts';
import { type SessionStoreAddress, sessionStoreUrl } from '../api/gateway/session-store.ts';
import type { RuntimeClock } from './clock.ts';
import { type Rng, systemRng } from './random.ts';
import { isHandoverMark, PubsubHandover } from './redis-handover.ts';
import { type RedisTlsFiles, type RedisTlsSocket, tlsFailure } from './redis-tls.ts';
import { type RedisTlsReading, readRedisTls, sameTexts, watchRedisTls } from './redis-tls-watch.ts';

export type RedisClient = RedisClientType;

/** With TLS, `caFile` (PEM CA certificates trusted besides the backends' roots) and `clientCert` are read here. */
export interface RedisConnectionOptions extends RedisTlsFiles {
  address: SessionStoreAddress;
  password?: string;
  logger: Logger;
  rng?: Rng;
  /** Waits between reconnection attempts (default 100 ms doubling to 5 s, with jitter). */
  reconnect?: BackoffPolicy;
  /** A command unanswered for this long fails (default 2 s). */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, to tell replicas apart in `CLIENT LIST`. */
  name?: string;
  /**
   * Check the CA, certificate and key files this often and take up what changed (a renewed client certificate)
   * without a restart; without it they are read once.
   */
  watchTls?: { clock: RuntimeClock; intervalMs: number };
}

export interface RedisState {
  ready: boolean;
  /** Why it is not ready: connecting, or the last connection error. */
  reason?: string;
}

export interface RedisConnection {
  /** The client of the moment: it is replaced when changed TLS files are taken up, so read it for each use. */
  readonly client: RedisClient;
  /** The store's URL (no credentials). */
  readonly url: string;
  state(): RedisState;
  /** Called when `state().ready` flips. */
  onStateChange(listener: (state: RedisState) => void): () => void;
  /**
   * Deliver every message of `channel` to `listener`, on the pub/sub connection, from now on and again after every
   * reconnection (a subscription that could not be made while Redis was down is made once it is back). One listener
   * per channel: a later call for the same channel replaces it. The function returned unsubscribes.
   */
  subscribe(channel: string, listener: (message: string) => void): () => void;
  /** An error from the client as text for a log line or a reason: the password, should it appear, is redacted. */
  describe(err: unknown): string;
  close(): Promise<void>;
}

export const DEFAULT_RECONNECT: BackoffPolicy = { baseMs: 100, maxMs: 5000, jitter: 0.5 };
/** A connection (its TLS handshake included) not made within this is given up and tried again. */
const CONNECT_TIMEOUT_MS = 2000;

export function connectRedis(opts: RedisConnectionOptions): RedisConnection {
  const rng = opts.rng ?? systemRng();
  const policy = opts.reconnect ?? DEFAULT_RECONNECT;
  const { address, password } = opts;
  const target = { ...address, url: sessionStoreUrl(address) };
  const hide = (text: string) => (password ? text.split(password).join('[redacted]') : text);
  const listeners = new Set<(state: RedisState) => void>();
  let current: RedisState = { ready: false, reason: `connecting to ${target.url}` };
  let closed = false;
  let closing: Promise<void> | undefined;
  const set = (next: RedisState) => {
    if (closed) return;
    const flipped = next.ready !== current.ready;
    const newReason = !next.ready && next.reason !== current.reason;
    current = next;
    // A new reason is logged once, also before the first connection (a wrong CA or password shows at start).
    if (next.ready && flipped) opts.logger.info({ store: target.url }, 'session store connected');
    else if (newReason) opts.logger.warn({ store: target.url, reason: next.reason }, 'session store unavailable');
    if (!flipped) return;
    for (const l of listeners) l(next);
  };
  const make = (tls: RedisTlsSocket | undefined, role: 'commands' | 'pubsub') =>
    createClient({
      socket: {
        host: target.host,
        port: target.port,
        ...tls,
        connectTimeout: CONNECT_TIMEOUT_MS,
        // Every retry is bounded in time; the count is not, because a replica must come back whenever Redis does.
        reconnectStrategy: (retries: number) => Math.round(backoffMs(policy, retries, { rng })),
      },
      ...(password ? { password } : {}),
      database: target.db,
      disableOfflineQueue: true,
      pingInterval: 5000,
      commandOptions: { timeout: opts.commandTimeoutMs ?? 2000, rejectInFlight: true },
      ...(opts.name ? { name: `${opts.name}${role === 'pubsub' ? '-pubsub' : ''}` } : {}),
    }) as unknown as RedisClient;
  const reasonOf = (err: Error) => {
    // A server that does not speak TLS on the port leaves a TLS client's handshake unanswered until the timeout; a TCP
    // connect that never completes ends the same way, and the error does not tell the two apart.
    const tlsProblem =
      target.tls && err instanceof ConnectionTimeoutError
        ? `no connection or TLS handshake within ${CONNECT_TIMEOUT_MS} ms: check the address, and that the server speaks TLS on this port`
        : tlsFailure(err, target.host);
    const why = hide(tlsProblem ?? (err.message || err.name));
    return tlsProblem ? `${target.url}: ${why}` : `${target.url} unreachable: ${why}`;
  };

  // The clients of one TLS setup. With TLS files that change (a renewed client certificate), a second generation is
  // made from the new files and takes over once both its clients are ready and it has subscribed beside the live one
  // (so another replica's message always finds a receiver), and a renewal the server refuses leaves the working
  // connection as it was.
  interface Generation {
    client: RedisClient;
    pubsub: RedisClient;
    /** Channels subscribed (or being subscribed) on this generation's pub/sub client: whether it worked. */
    subscribed: Map<string, Promise<boolean>>;
    /** Channels whose subscription the server confirmed: a handover marks only these. */
    confirmed: Set<string>;
    /** One delivery function per channel, so that node-redis, which keeps a set of listeners, never holds two. */
    deliver: Map<string, (message: string) => void>;
    /** The texts of the TLS files it was made from. */
    madeFrom: ReadonlyMap<string, string>;
    started: Promise<unknown>;
    promoting: boolean;
  }
  const wanted = new Map<string, (message: string) => void>();
  let live: Generation;
  let pending: Generation | undefined;
  const retiring = new Set<Promise<void>>();
  /** While a promoted generation's pub/sub takes over from the one it replaced (redis-handover.ts). */
  let handover: PubsubHandover<Generation> | undefined;
  let handoverBound: NodeJS.Timeout | undefined;
  // node-redis re-subscribes what was subscribed when the connection dropped; what never was is tried on each ready.
  // Only the live generation delivers: while a new one subscribes beside it, its copies of the messages are dropped,
  // and from its promotion until the two streams meet, the handover decides which copy is delivered.
  const trySubscribe = (g: Generation, channel: string): Promise<boolean> | undefined => {
    if ((g !== live && g !== pending) || !wanted.has(channel) || !g.pubsub.isReady) return undefined;
    const made = g.subscribed.get(channel);
    if (made) return made;
    let deliver = g.deliver.get(channel);
    if (!deliver) {
      deliver = (message: string) => {
        if (closed) return;
        if (handover) handover.receive(g, channel, message);
        else if (g === live && !isHandoverMark(message)) wanted.get(channel)?.(message);
      };
      g.deliver.set(channel, deliver);
    }
    const subscribing: Promise<boolean> = g.pubsub.subscribe(channel, deliver).then(
      () => {
        if (g.subscribed.get(channel) === subscribing) g.confirmed.add(channel);
        return true;
      },
      (err: Error) => {
        if (g.subscribed.get(channel) === subscribing) g.subscribed.delete(channel);
        opts.logger.debug(
          { store: target.url, channel, err: hide(err.message) },
          'subscribing failed; retried on reconnection',
        );
        return false;
      },
    );
    g.subscribed.set(channel, subscribing);
    return subscribing;
  };
  const generation = (tls: RedisTlsReading['tls'], madeFrom: ReadonlyMap<string, string>): Generation => {
    const socket = 'socket' in tls ? tls.socket : undefined;
    const g: Generation = {
      client: make(socket, 'commands'),
      pubsub: make(socket, 'pubsub'),
      subscribed: new Map(),
      confirmed: new Set(),
      deliver: new Map(),
      madeFrom,
      started: Promise.resolve(),
      promoting: false,
    };
    let pendingReason: string | undefined;
    const promoteWhenReady = () => {
      if (g === pending && g.client.isReady && g.pubsub.isReady) void promote(g);
    };
    g.client.on('error', (err: Error) => {
      if (closed) return;
      if (g === live) return set({ ready: false, reason: reasonOf(err) });
      if (g !== pending || reasonOf(err) === pendingReason) return;
      pendingReason = reasonOf(err);
      opts.logger.warn(
        { store: target.url, reason: pendingReason },
        'session store: the changed TLS files are not accepted yet; the current connection stays',
      );
    });
    g.client.on('ready', () => {
      if (closed) return;
      promoteWhenReady();
      if (g === live) set({ ready: true });
    });
    g.client.on('end', () => {
      if (g === live) set({ ready: false, reason: `${target.url}: connection closed` });
    });
    g.client.on('reconnecting', () => {
      if (g === live && current.ready) set({ ready: false, reason: `${target.url}: reconnecting` });
    });
    g.pubsub.on('error', (err: Error) =>
      opts.logger.debug({ store: target.url, err: hide(err.message) }, 'session store pub/sub connection error'),
    );
    g.pubsub.on('ready', () => {
      if (closed) return;
      for (const channel of wanted.keys()) trySubscribe(g, channel);
      promoteWhenReady();
    });
    // connect() rejects only when the strategy gives up, which ours never does; the events above report the attempts.
    // Without usable TLS files nothing connects: commands fail at once, and the reason says why.
    if ('problem' in tls) return g;
    g.started = Promise.all([g.client.connect().catch(() => undefined), g.pubsub.connect().catch(() => undefined)]);
    return g;
  };
  /**
   * A graceful close lets commands in flight finish; it is bounded, because a connection that died while node-redis
   * was still setting it up (a TLS socket closed right after its handshake) leaves its setup commands unanswered, and
   * then neither close() nor connect() ever settles. After the bound the sockets are destroyed.
   */
  const retire = async (g: Generation) => {
    const done = new AbortController();
    const bound = delay(CONNECT_TIMEOUT_MS, undefined, { signal: done.signal }).catch(() => undefined);
    try {
      const graceful = Promise.all([g.client, g.pubsub].map((c) => (c.isOpen ? c.close() : undefined)));
      await Promise.race([graceful.catch(() => undefined), bound]);
      for (const c of [g.client, g.pubsub]) c.destroy();
      await Promise.race([g.started, bound]);
    } finally {
      done.abort();
    }
  };
  const retireLater = (g: Generation) => {
    const closing: Promise<void> = retire(g).finally(() => retiring.delete(closing));
    retiring.add(closing);
  };
  /** Every wanted channel (those added meanwhile too) confirmed on `g`'s pub/sub, or false: not now. */
  const subscribeAll = async (g: Generation): Promise<boolean> => {
    for (let round = 0; round < 5; round++) {
      const channels = [...wanted.keys()];
      const made = await Promise.all(channels.map((channel) => trySubscribe(g, channel) ?? false));
      if (made.includes(false)) return false;
      if (channels.length === wanted.size && channels.every((channel) => wanted.has(channel))) return true;
    }
    return true;
  };
  const promote = async (g: Generation) => {
    if (g.promoting) return;
    g.promoting = true;
    const subscribed = await subscribeAll(g);
    if (closed || g !== pending || !g.client.isReady || !g.pubsub.isReady || !subscribed) {
      // Tried again on the next 'ready' of either client; a subscription refused outright leaves the old ones serving.
      if (!subscribed && g === pending) {
        opts.logger.warn(
          { store: target.url },
          'session store: the clients of the changed TLS files could not subscribe; the current connection stays',
        );
      }
      g.promoting = false;
      return;
    }
    const old = live;
    live = g;
    pending = undefined;
    handOver(old, g);
    opts.logger.info({ store: target.url }, 'session store: connected with the changed TLS files');
    set({ ready: true });
  };
  /** The new clients take commands at once; pub/sub moves to them where both streams meet (redis-handover.ts). */
  const handOver = (old: Generation, g: Generation) => {
    const unconfirmed = (why: string) =>
      opts.logger.warn(
        { store: target.url, why },
        'session store: pub/sub handover cut short; session-bus messages of these moments may be missed or repeated',
      );
    if (handover) {
      unconfirmed('another renewal');
      handover.finish();
    }
    // Only channels both connections are confirmed on get a mark that comes back on both; the rest the new one alone
    // delivers. An old connection that is not up delivers nothing, so nothing is marked.
    const marked = old.pubsub.isReady ? [...old.confirmed].filter((channel) => g.confirmed.has(channel)) : [];
    const endOld = () => {
      old.pubsub.destroy();
      retireLater(old);
    };
    if (marked.length === 0) return endOld();
    const oldDropped = () => ho.oldLost();
    const nextDropped = () => {
      unconfirmed('the new pub/sub connection dropped');
      ho.finish();
    };
    const ho: PubsubHandover<Generation> = new PubsubHandover(old, g, marked, {
      deliver: (channel, message) => {
        if (!closed) wanted.get(channel)?.(message);
      },
      oldDone: () => {
        old.pubsub.off('reconnecting', oldDropped).off('end', oldDropped);
        endOld();
      },
      done: () => {
        g.pubsub.off('reconnecting', nextDropped).off('end', nextDropped);
        if (handover !== ho) return;
        handover = undefined;
        clearTimeout(handoverBound);
      },
    });
    handover = ho;
    old.pubsub.on('reconnecting', oldDropped).on('end', oldDropped);
    g.pubsub.on('reconnecting', nextDropped).on('end', nextDropped);
    handoverBound = setTimeout(() => {
      if (handover !== ho) return;
      unconfirmed('a mark did not come back within the bound');
      ho.finish();
    }, CONNECT_TIMEOUT_MS);
    handoverBound.unref();
    for (const [channel, mark] of ho.marks) {
      g.client.publish(channel, mark).catch((err: Error) => {
        if (handover !== ho) return;
        unconfirmed(`publishing the mark failed: ${hide(err.message)}`);
        ho.finish();
      });
    }
  };

  const first = readRedisTls(address, opts);
  live = generation(first.tls, first.texts);
  if ('problem' in first.tls) set({ ready: false, reason: `${target.url}: ${first.tls.problem}` });

  /** Changed files: a generation from them, live at once if the live one never had usable files. */
  const renew = ({ tls, texts }: RedisTlsReading) => {
    if (closed) return;
    // The same content (a file rewritten as it was, or put back after a renewal the server refused) makes nothing new.
    if (pending && sameTexts(texts, pending.madeFrom)) return;
    if (pending) retireLater(pending);
    pending = undefined;
    if (sameTexts(texts, live.madeFrom)) return;
    const g = generation(tls, texts);
    if (live.client.isOpen) pending = g;
    else {
      const inert = live;
      live = g;
      set({ ready: false, reason: `connecting to ${target.url}` });
      retireLater(inert);
    }
  };
  const watch = opts.watchTls
    ? watchRedisTls({
        address,
        files: opts,
        ...opts.watchTls,
        onUsable: renew,
        onProblem: (problem) => {
          if (closed) return;
          // A live generation that never had usable files shows the problem as its reason (which logs it); otherwise
          // the working connection stays.
          if (!live.client.isOpen) set({ ready: false, reason: `${target.url}: ${problem}` });
          else {
            opts.logger.warn(
              { store: target.url, reason: problem },
              'session store: the changed TLS files cannot be used; the current connection stays',
            );
          }
        },
      })
    : undefined;

  return {
    get client() {
      return live.client;
    },
    url: target.url,
    state: () => current,
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(channel, listener) {
      wanted.set(channel, listener);
      trySubscribe(live, channel);
      if (pending) trySubscribe(pending, channel);
      return () => {
        if (wanted.get(channel) !== listener) return;
        wanted.delete(channel);
        handover?.forget(channel);
        for (const g of [live, pending]) {
          g?.confirmed.delete(channel);
          if (!g?.subscribed.delete(channel) || !g.pubsub.isReady) continue;
          g.pubsub.unsubscribe(channel).catch((err: Error) => {
            opts.logger.debug({ store: target.url, channel, err: hide(err.message) }, 'unsubscribing failed');
          });
        }
      };
    },
    describe: (err) => hide(err instanceof Error ? err.message || err.name : String(err)),
    close() {
      if (closing) return closing;
      closed = true;
      clearTimeout(handoverBound);
      // Ends the old generation of a handover in progress: retired with the others below.
      handover?.finish();
      watch?.stop();
      listeners.clear();
      const last = [live, pending];
      pending = undefined;
      closing = Promise.all([...last.map((g) => (g ? retire(g) : undefined)), ...retiring]).then(() => undefined);
      return closing;
    },
  };
}
