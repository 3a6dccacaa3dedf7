// `mcpre gateway --session-store redis://...`: the process's one Redis connection, the session store built on it once
// the gateway knows its limits, and what readiness says about it. A replica that has never reached Redis is not ready
// (it could serve no session; a wrong address or password shows before it takes traffic). Once it has, losing Redis
// does not make it unready: the sessions it holds keep working and a Service that dropped every replica at once would
// end them all; /readyz's detail and the log say that the store is unavailable, and new sessions are refused saying
// why.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../api/gateway/config.ts';
import type { SessionStoreAddress } from '../../api/gateway/session-store.ts';
import { systemClock } from '../../runtime/clock.ts';
import { connectRedis, type RedisState } from '../../runtime/redis-connection.ts';
import type { RedisTlsFiles } from '../../runtime/redis-tls.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { RedisSessionStore } from './redis-store.ts';
import type { SessionStore } from './store.ts';

/** How often the store's CA, certificate and key files are checked for a change (as the backends' secret files). */
const TLS_FILE_POLL_MS = 2000;

/** How the gateway builds its store, once it has its limits (the config's `server`) and metrics. */
export type SessionStoreFactory = (server: GatewayConfig['server'], metrics: GatewayMetrics) => SessionStore;

export interface SharedSessionStore {
  store: SessionStoreFactory;
  /** Why the gateway is not ready yet, while Redis has never been reached. */
  notReadyReason(): string | undefined;
  /** For /readyz's detail. */
  detail(): { url: string } & RedisState;
  close(): Promise<void>;
}

/** Where the store is and how to reach it: the address, its password, and with TLS the CA and client certificate. */
export type SessionStoreSettings = { address: SessionStoreAddress; password?: string } & RedisTlsFiles;

export function startRedisSessionStore(settings: SessionStoreSettings, logger: Logger): SharedSessionStore {
  const connection = connectRedis({
    ...settings,
    logger,
    name: `mcpre-gateway-${process.env.POD_NAME ?? hostname()}`,
    // A renewed client certificate (cert-manager's, or a hand-run gateway's files) is taken up without a restart.
    watchTls: { clock: systemClock, intervalMs: TLS_FILE_POLL_MS },
  });
  let everReady = connection.state().ready;
  const off = connection.onStateChange((s) => {
    if (s.ready) everReady = true;
  });
  let built: SessionStore | undefined;
  return {
    store: (server, metrics) => {
      built = new RedisSessionStore({
        connection,
        limits: {
          idleTimeoutMs: server.sessionIdleTimeoutSeconds * 1000,
          maxSessions: server.maxSessions,
          maxSessionsPerClient: server.maxSessionsPerClient,
        },
        eventLimits: {
          maxSessionBytes: server.resumableStreams.maxBytesPerSession,
          ttlMs: server.resumableStreams.ttlSeconds * 1000,
        },
        logger,
        onEventLoss: (reason, count) => metrics.eventStoreLost.inc({ reason }, count),
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
