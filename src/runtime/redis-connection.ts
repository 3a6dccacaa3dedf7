// The one Redis connection of a process (node-redis, `@redis/client`), and a second one for pub/sub (a subscribed
// connection can run nothing else). Reconnection waits come from the project's backoff; while disconnected every
// command fails at once (no offline queue: a caller must learn that the store is down, not wait on it), and a command
// that gets no answer is given up after a bound. `state()` says whether it is usable and, when not, why, for /readyz.
// The password is given to the client only: it is not part of any URL, log line or error this file makes. TLS
// (rediss://, with an optional CA file and client certificate) is set up in redis-tls.ts; a file that cannot be used is
// the reason the connection is never ready, and a certificate either side refuses is told as such, not as a bare
// OpenSSL code.
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionTimeoutError, createClient, type RedisClientType } from '@redis/client';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffMs } from '../api/backoff.ts';
import { type SessionStoreAddress, sessionStoreUrl } from '../api/gateway/session-store.ts';
import { type Rng, systemRng } from './random.ts';
import { type RedisTlsFiles, redisTlsOptions, tlsFailure } from './redis-tls.ts';

export type RedisClient = RedisClientType;

/** With TLS, `caFile` (PEM CA certificates trusted in addition to the backends' roots) and `clientCert` are read once here. */
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
}

export interface RedisState {
  ready: boolean;
  /** Why it is not ready: connecting, or the last connection error. */
  reason?: string;
}

export interface RedisConnection {
  readonly client: RedisClient;
  /** The store's URL (no credentials). */
  readonly url: string;
  state(): RedisState;
  /** Called when `state().ready` flips. */
  onStateChange(listener: (state: RedisState) => void): () => void;
  /**
   * Deliver every message of `channel` to `listener`, on the pub/sub connection, from now on and again after every
   * reconnection (a subscription that could not be made while Redis was down is made once it is back). The function
   * returned unsubscribes.
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
  const tls = redisTlsOptions(address, opts);
  const make = (role: 'commands' | 'pubsub') => {
    const client = createClient({
      socket: {
        host: target.host,
        port: target.port,
        ...('socket' in tls ? tls.socket : {}),
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
    return client;
  };
  const client = make('commands');
  const pubsub = make('pubsub');
  client.on('error', (err: Error) => {
    // A server that does not speak TLS on the port leaves a TLS client's handshake unanswered until the timeout; a TCP
    // connect that never completes ends the same way, and the error does not tell the two apart.
    const tlsProblem =
      target.tls && err instanceof ConnectionTimeoutError
        ? `no connection or TLS handshake within ${CONNECT_TIMEOUT_MS} ms: check the address, and that the server speaks TLS on this port`
        : tlsFailure(err, target.host);
    const why = hide(tlsProblem ?? (err.message || err.name));
    set({ ready: false, reason: tlsProblem ? `${target.url}: ${why}` : `${target.url} unreachable: ${why}` });
  });
  client.on('ready', () => set({ ready: true }));
  client.on('end', () => set({ ready: false, reason: `${target.url}: connection closed` }));
  client.on('reconnecting', () => {
    if (current.ready) set({ ready: false, reason: `${target.url}: reconnecting` });
  });
  pubsub.on('error', (err: Error) =>
    opts.logger.debug({ store: target.url, err: hide(err.message) }, 'session store pub/sub connection error'),
  );
  // node-redis re-subscribes what was subscribed when the connection dropped; what never was is tried on each ready.
  const wanted = new Map<string, (message: string) => void>();
  const subscribed = new Set<string>();
  const trySubscribe = (channel: string) => {
    const listener = wanted.get(channel);
    if (!listener || subscribed.has(channel) || !pubsub.isReady) return;
    subscribed.add(channel);
    pubsub.subscribe(channel, listener).catch((err: Error) => {
      subscribed.delete(channel);
      opts.logger.debug(
        { store: target.url, channel, err: hide(err.message) },
        'subscribing failed; retried on reconnection',
      );
    });
  };
  pubsub.on('ready', () => {
    for (const channel of wanted.keys()) trySubscribe(channel);
  });
  // connect() rejects only when the strategy gives up, which ours never does; the events above report the attempts.
  // Without a usable CA file nothing connects: commands fail at once, and the reason says why.
  if ('problem' in tls) set({ ready: false, reason: `${target.url}: ${tls.problem}` });
  const connecting = 'problem' in tls ? Promise.resolve() : client.connect().catch(() => undefined);
  const pubsubConnecting = 'problem' in tls ? Promise.resolve() : pubsub.connect().catch(() => undefined);
  return {
    client,
    url: target.url,
    state: () => current,
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(channel, listener) {
      wanted.set(channel, listener);
      trySubscribe(channel);
      return () => {
        if (wanted.get(channel) !== listener) return;
        wanted.delete(channel);
        if (!subscribed.delete(channel) || !pubsub.isReady) return;
        pubsub.unsubscribe(channel).catch((err: Error) => {
          opts.logger.debug({ store: target.url, channel, err: hide(err.message) }, 'unsubscribing failed');
        });
      };
    },
    describe: (err) => hide(err instanceof Error ? err.message || err.name : String(err)),
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      // A graceful close lets commands in flight finish; it is bounded, because a connection that died while
      // node-redis was still setting it up (a TLS socket closed right after its handshake) leaves its setup commands
      // unanswered, and then neither close() nor connect() ever settles. After the bound the sockets are destroyed.
      const done = new AbortController();
      const bound = delay(CONNECT_TIMEOUT_MS, undefined, { signal: done.signal }).catch(() => undefined);
      try {
        const graceful = Promise.all([client, pubsub].map((c) => (c.isOpen ? c.close() : undefined)));
        await Promise.race([graceful.catch(() => undefined), bound]);
        for (const c of [client, pubsub]) c.destroy();
        await Promise.race([Promise.all([connecting, pubsubConnecting]), bound]);
      } finally {
        done.abort();
      }
    },
  };
}
