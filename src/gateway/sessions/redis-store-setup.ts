// `mcpre gateway --session-store redis://...`: the process's one Redis connection, the session store built on it once
// the gateway knows its limits, and what readiness says about it. A replica that has never reached Redis is not ready
// (it could serve no session; a wrong address or password shows before it takes traffic). Once it has, losing Redis
// does not make it unready: the sessions it holds keep working and a Service that dropped every replica at once would
// end them all; /readyz's detail and the log say that the store is unavailable, and new sessions are refused saying
// why.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { SessionStoreAddress } from '../../api/gateway/session-store.ts';
import { connectRedis, type RedisState } from '../../runtime/redis-connection.ts';
import type { EventLoss, EventStoreLimits } from '../event-store.ts';
import { RedisSessionStore } from './redis-store.ts';
import type { SessionLimits, SessionStore } from './store.ts';

/** What the gateway hands a store it asks to be built. */
export interface SessionStoreSettings {
  limits: SessionLimits;
  eventLimits: EventStoreLimits;
  onEventLoss: (reason: EventLoss, count: number) => void;
}

export type SessionStoreFactory = (settings: SessionStoreSettings) => SessionStore;

export interface SharedSessionStore {
  store: SessionStoreFactory;
  /** Why the gateway is not ready yet, while Redis has never been reached. */
  notReadyReason(): string | undefined;
  /** For /readyz's detail. */
  detail(): { url: string } & RedisState;
  close(): Promise<void>;
}

export function startRedisSessionStore(
  settings: { address: SessionStoreAddress; password?: string },
  logger: Logger,
): SharedSessionStore {
  const connection = connectRedis({
    address: settings.address,
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    logger,
    name: `mcpre-gateway-${process.env.POD_NAME ?? hostname()}`,
  });
  let everReady = connection.state().ready;
  const off = connection.onStateChange((s) => {
    if (s.ready) everReady = true;
  });
  let built: SessionStore | undefined;
  return {
    store: ({ limits, eventLimits, onEventLoss }) => {
      built = new RedisSessionStore({
        connection,
        limits,
        eventLimits: { maxSessionBytes: eventLimits.maxSessionBytes, ttlMs: eventLimits.ttlMs },
        logger,
        onEventLoss,
      });
      return built;
    },
    notReadyReason: () =>
      everReady ? undefined : `session store ${connection.state().reason ?? `${connection.url}: connecting`}`,
    detail: () => ({ url: connection.url, ...connection.state() }),
    async close() {
      off();
      await built?.close();
      await connection.close();
    },
  };
}
