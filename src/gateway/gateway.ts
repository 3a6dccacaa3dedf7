// Composition of one gateway: backends from the config, the aggregator over them, the router, client sessions and
// the HTTP front. The only place that knows all of them; `mcpre gateway` and `mcpre up` both start one through here.

import type { Server as HttpServer } from 'node:http';
import type { DestinationStream, Logger } from 'pino';
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { redactLogLine } from '../actors/mcp/redactor.ts';
import { declaredCapabilities } from '../api/gateway/client-capabilities.ts';
import type { GatewayConfig } from '../api/gateway/config.ts';
import { batchedStderr } from '../runtime/batched-stderr.ts';
import { type RuntimeClock, systemClock } from '../runtime/clock.ts';
import type { ActorDirectory } from '../runtime/inspection/actor-directory.ts';
import { createLogger } from '../runtime/logging.ts';
import { ActorMetrics, combineInspectors } from '../runtime/metrics/actor-metrics.ts';
import { type FileWatch, watchFiles } from '../runtime/watch-files.ts';
import { Aggregator } from './aggregator.ts';
import { type AuditSink, auditLogger } from './audit.ts';
import type { Backend } from './backend.ts';
import { BackendSet, type BackendStatus, type DesiredBackend } from './backend-set.ts';
import {
  type BackendSetup,
  processEnvironment,
  type SetupEnvironment,
  secretFilesOf,
  staticBackend,
} from './backend-setup.ts';
import { isLoopbackAddress } from './http-guards.ts';
import { createGatewayHttpServer, listen, type Readiness } from './http-server.ts';
import { type Authenticator, createAuthenticator } from './incoming-auth.ts';
import { GatewayMetrics } from './metrics.ts';
import { ModernEndpoint } from './modern/endpoint.ts';
import { LISTEN_KEY_PREFIX, ListenStreams } from './modern/listen.ts';
import { PerClientBackend } from './per-client-backend.ts';
import { Router } from './router.ts';
import { ServerDefinition } from './server-definition.ts';
import { ServerRequestRelays } from './server-requests.ts';
import { inspectedSessionActorBackendFactory, sessionActorBackendFactory } from './session-actor-backend.ts';
import { SessionHandler } from './sessions/handler.ts';
import { memorySessionStore } from './sessions/memory-store.ts';
import type { SessionStoreFactory } from './sessions/redis-store-setup.ts';
import type { SessionStore } from './sessions/store.ts';
import { ResourceSubscriptions } from './subscriptions.ts';

/** Whether this replica may open `direct` backends (it holds the Lease, or runs without one). */
export interface ReplicaGate {
  isActive(): boolean;
  onChange(listener: () => void): () => void;
}

export type { BackendStatus, DesiredBackend };

export type BackendFactory = (setup: BackendSetup, logger: Logger) => Backend;

export interface StartGatewayOptions {
  config: GatewayConfig;
  port?: number;
  /** Defaults to 127.0.0.1: a gateway is reachable from elsewhere only when asked to be. */
  host?: string;
  logger?: Logger;
  environment?: SetupEnvironment;
  /** How a backend is built from its setup; by default one backend-session actor per backend (tests pass their own). */
  createBackend?: BackendFactory;
  replica?: ReplicaGate;
  requestTimeoutMs?: number;
  /** A 2025-era call still running after this long is answered on a resumable stream (default 100 ms). */
  streamAfterMs?: number;
  /** Serve the /debug/actors live view of these actors (session actors are reported to it automatically). */
  debug?: {
    directory: ActorDirectory;
    /** Charts of other machines the directory sees (e.g. endpoints in `mcpre up`). */
    machines?: AnyStateMachine[];
  };
  /** A further readiness condition (dynamic discovery not yet synced): returns why the gateway is not ready. */
  notReadyReason?: () => string | undefined;
  /** More for /readyz's detail (the shared session store's state). */
  readinessDetail?: () => Record<string, unknown>;
  /** Extra sink for audit records (tests); the audit log line is always written. */
  onAudit?: AuditSink;
  /** Timers of the secret-file watch. */
  clock?: RuntimeClock;
  /** How often the secret files of static backends are checked for a rotation (default 2 s). */
  secretFilePollMs?: number;
  version?: string;
  /**
   * Where 2025-era client sessions are kept: a store, or how to build one from the config's limits and the gateway's
   * metrics (the shared Redis store of --session-store); by default this process's memory.
   */
  sessionStore?: SessionStore | SessionStoreFactory;
}

export interface RunningGateway {
  url: URL;
  aggregator: Aggregator;
  metrics: GatewayMetrics;
  readiness(): Readiness;
  backends(): BackendStatus[];
  /** Replace the backend set (dynamic discovery); backends whose fingerprint is unchanged keep their sessions. */
  applyBackends(desired: readonly DesiredBackend[]): Promise<void>;
  close(): Promise<void>;
}

/** `tokenExchange` backends get one session per client identity; every other backend one shared session. */
function perClientAware(base: BackendFactory, perClient: Set<PerClientBackend>): BackendFactory {
  return (setup, logger) => {
    if (!setup.outgoing.perClient) return base(setup, logger);
    const backend = new PerClientBackend(setup, logger, base);
    perClient.add(backend);
    backend.onChange(() => {
      if (backend.state === 'closed') perClient.delete(backend);
    });
    return backend;
  };
}

/**
 * Backend sessions come from the backend-session actor (reconnection, GET stream, circuit breaker, shared
 * re-initialization; sampling and elicitation relayed to the calling client).
 */
export function defaultBackendFactory(inspect?: (event: InspectionEvent) => void): BackendFactory {
  return inspect ? inspectedSessionActorBackendFactory(inspect) : sessionActorBackendFactory;
}

export async function startGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  const { config } = opts;
  const logger = opts.logger ?? defaultLogger();
  const metrics = new GatewayMetrics();
  // Backend sessions by state, their re-initializations and circuit openings: read from the session actors.
  const actorMetrics = new ActorMetrics(metrics.registry);
  const perClientBackends = new Set<PerClientBackend>();
  const host = opts.host ?? '127.0.0.1';

  const aggregator = new Aggregator({
    config: config.aggregation,
    onConflicts: (conflicts) => logger.warn({ conflicts }, 'aggregation hid some names; see the messages'),
    onInvalidNames: (invalid) => {
      metrics.invalidToolNames.reset();
      for (const { backend } of invalid) metrics.invalidToolNames.inc({ backend });
      if (invalid.length > 0) logger.warn({ invalidNames: invalid }, 'backend tools hidden: not valid MCP tool names');
    },
  });
  const writeAudit = auditLogger(logger);
  const audit: AuditSink = (record) => {
    writeAudit(record);
    opts.onAudit?.(record);
  };
  // A policy that does not parse stops the gateway here, before it listens: never serve without the configured authz.
  // Cedar's WASM (about 13 MiB resident) is loaded only by a gateway that has policies.
  const authorizer = config.authz ? (await import('./authz.ts')).createCedarAuthorizer(config.authz) : undefined;
  // Requests backends send to clients: relayed to the client whose call they serve, refused when that is unclear.
  const relays = new ServerRequestRelays({
    logger,
    metrics,
    audit,
    declared: declaredCapabilities(config.clientCapabilities),
  });
  const createBackend = perClientAware(
    relays.wrapFactory(
      opts.createBackend ??
        defaultBackendFactory(combineInspectors(actorMetrics.inspect, opts.debug?.directory.inspect)),
    ),
    perClientBackends,
  );
  const router = new Router({
    aggregator,
    audit,
    metrics,
    requestTimeoutMs: opts.requestTimeoutMs,
    authorizer,
    relays,
  });
  const subscriptions = new ResourceSubscriptions({
    aggregator,
    logger,
    notify: (key, uri) =>
      key.startsWith(LISTEN_KEY_PREFIX) ? listenStreams.resourceUpdated(key, uri) : sessions.resourceUpdated(key, uri),
  });
  // One server definition behind both eras: 2025 sessions and the stateless 2026-07-28 endpoint.
  const definition = new ServerDefinition({ aggregator, router, name: config.name, version: opts.version ?? '0.1.0' });
  // Sessions in this process's memory, or in a store shared by every replica (--session-store), built here with the
  // gateway's limits and metrics. Its bus also carries what 2026-07-28 clients need across replicas: list changes for
  // their listen streams, and retries of calls parked in another replica.
  const store =
    typeof opts.sessionStore === 'function'
      ? opts.sessionStore(config.server, metrics)
      : (opts.sessionStore ?? memorySessionStore(config.server, metrics));
  const listenStreams: ListenStreams = new ListenStreams({
    subscriptions,
    bus: store.bus,
    maxStreams: config.server.maxSessions,
    keepAliveMs: 15_000,
  });
  const modern = new ModernEndpoint({ definition, listen: listenStreams, logger, bus: store.bus, metrics });
  const sessions: SessionHandler = new SessionHandler({
    store,
    definition,
    subscriptions,
    logger,
    metrics,
    ...(opts.streamAfterMs === undefined ? {} : { streamAfterMs: opts.streamAfterMs }),
  });
  aggregator.onListChanged((kinds) => {
    for (const kind of kinds) metrics.listChanged.inc({ kind });
    const view = aggregator.view;
    metrics.advertised.set({ kind: 'tools' }, view.tools.length);
    metrics.advertised.set({ kind: 'resources' }, view.resources.length + view.resourceTemplates.length);
    metrics.advertised.set({ kind: 'prompts' }, view.prompts.length);
    // To every client of every replica, by the bus: 2025 sessions' GET streams and 2026-07-28 listen streams.
    sessions.announce(aggregator.fingerprints, kinds);
  });

  const active = () => opts.replica?.isActive() ?? true;
  // Only the active replica opens direct backends: their sessions live in one process (RFC "Session Constraints").
  const backendSet = new BackendSet({ aggregator, metrics, logger, createBackend, active });
  const unsubscribeReplica = opts.replica?.onChange(() => {
    metrics.replicaActive.set(active() ? 1 : 0);
    logger.info({ active: active() }, active() ? 'replica active: opening direct backends' : 'replica on standby');
    backendSet.refresh();
  });
  metrics.replicaActive.set(active() ? 1 : 0);
  const environment = opts.environment ?? processEnvironment;
  // A tokenExchange backend exchanges each caller's token: behind anonymous incoming auth nobody has one.
  const usable = (desired: readonly DesiredBackend[]): DesiredBackend[] =>
    config.incomingAuth.type !== 'anonymous'
      ? [...desired]
      : desired.map((d) =>
          d.result.ok && d.result.setup.outgoing.perClient
            ? {
                ...d,
                result: {
                  ok: false,
                  name: d.name,
                  reason:
                    'outgoing auth "tokenExchange" exchanges each caller\'s token, but incoming auth is anonymous: ' +
                    'no caller has a token to exchange (configure incomingAuth type oidc)',
                },
              }
            : d,
        );
  // Static backends read their secret values from files (mounted Secret keys). When one changes, every entry is
  // resolved again and the set applied: only backends whose fingerprint moved get a new session.
  const staticDesired = () => usable(config.backends.map((cfg) => staticBackend(cfg, environment)));
  const secretFiles = config.backends.flatMap(secretFilesOf);
  let secretWatch: FileWatch | undefined;
  let reapplying: Promise<void> = Promise.resolve();
  const watchSecretFiles = async () => {
    if (secretFiles.length === 0) return;
    secretWatch = watchFiles({
      paths: secretFiles,
      clock: opts.clock ?? systemClock,
      intervalMs: opts.secretFilePollMs ?? 2000,
      onChange: (changed) => {
        logger.info({ files: changed }, 'secret files changed: reading them again');
        reapplying = reapplying
          .then(() => backendSet.apply(staticDesired()))
          .catch((err) => logger.error({ err: String(err) }, 'applying changed secret files failed'));
      },
      onWatchError: (dir, err) =>
        logger.warn({ dir, err: String(err) }, 'cannot watch a secret directory; checking it every poll only'),
    });
    // Know how the files look before reading them, so a change in between is not missed.
    await secretWatch.ready;
  };
  const statuses = () => backendSet.statuses();

  const readiness = (): Readiness => {
    const backends = statuses();
    const readyCount = backends.filter((b) => b.state === 'ready').length;
    const backendsOk =
      config.readiness === 'none' ||
      backends.length === 0 ||
      (config.readiness === 'all' ? readyCount === backends.length : readyCount > 0);
    const pending = opts.notReadyReason?.();
    return {
      ready: active() && backendsOk && pending === undefined,
      detail: {
        ...(pending !== undefined ? { pending } : {}),
        replica: active() ? 'active' : 'standby',
        require: config.readiness,
        backends,
        conflicts: aggregator.view.conflicts,
        invalidNames: aggregator.view.invalidNames,
        ...opts.readinessDetail?.(),
      },
    };
  };

  const authenticate = await createAuthenticator(config.incomingAuth);
  const httpServer: HttpServer = createGatewayHttpServer({
    sessions,
    modern,
    authenticate: openingClientSessions(authenticate, perClientBackends),
    readinessDetailAuth: authenticate,
    originPolicy: {
      loopbackOnly: isLoopbackAddress(host),
      allowedOrigins: config.server.allowedOrigins,
      allowedHosts: config.server.allowedHosts,
    },
    maxRequestBodyBytes: config.server.maxRequestBodyBytes,
    readiness,
    metrics,
    logger,
    ...(opts.debug
      ? { extraRoutes: await debugRoutes(opts.debug.directory, opts.debug.machines ?? [], statuses) }
      : {}),
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      unsubscribeReplica?.();
      secretWatch?.stop();
      httpServer.close();
      listenStreams.closeAll();
      modern.close();
      await sessions.close();
      subscriptions.close();
      await reapplying;
      await backendSet.close();
      aggregator.close();
      httpServer.closeAllConnections();
    })();
    return closing;
  };
  let url: URL;
  try {
    url = await listen(httpServer, opts.port ?? 0, host);
    // The watch starts only now too: a change it notices applies backends, which a failed bind must never do.
    await watchSecretFiles();
    // Opened only once the port is bound: a busy port then opens no remote session at all. Applies run one after
    // another: a secret-file change noticed during the first one waits for it.
    const initial = backendSet.apply(staticDesired());
    reapplying = initial.catch(() => {});
    await initial;
  } catch (err) {
    // Nothing will serve: close whatever was opened (timers, any backend), so the failure ends the command instead
    // of leaving a process that keeps them running.
    await close();
    throw err;
  }
  logger.info({ url: url.href, backends: statuses().length }, 'gateway listening');

  return {
    url,
    aggregator,
    metrics,
    readiness,
    backends: statuses,
    applyBackends: (desired) => backendSet.apply(usable(desired)),
    close,
  };
}

export function defaultLogger(
  level = process.env.MCPRE_LOG_LEVEL ?? 'info',
  destination: DestinationStream = batchedStderr(),
): Logger {
  // Logs go to stderr: stdout carries what a command prints for people and scripts (the gateway URL), batched
  // (runtime/batched-stderr.ts): one synchronous stderr write per audit line halved the calls per second the gateway
  // could relay. Every line is checked against the credentials the backends were sent (a second line of defence:
  // errors are redacted where they are made).
  return createLogger(
    {
      level,
      redact: { paths: ['*.authorization', '*.headers', 'headers', '*.token', 'token'], censor: '[redacted]' },
      hooks: { streamWrite: redactLogLine },
    },
    destination,
    { component: 'gateway' },
  );
}

/** The live state-chart view (src/viz/live-view) over the machines a gateway runs. Loaded only when asked for. */
async function debugRoutes(directory: ActorDirectory, extra: AnyStateMachine[], backends: () => BackendStatus[]) {
  const [{ createDebugHandler }, { backendSessionMachine }, { gatewayReplicaMachine }] = await Promise.all([
    import('../viz/live-view/debug-handler.ts'),
    import('../machines/backend-session.ts'),
    import('../machines/gateway-replica.ts'),
  ]);
  return createDebugHandler({
    directory,
    machines: [backendSessionMachine, gatewayReplicaMachine, ...extra],
    backends,
  });
}

/**
 * A tokenExchange backend lists nothing until some client's session is open; the first authenticated client to reach
 * the gateway opens one (per-client-backend.ts says why the lists come from that session).
 */
function openingClientSessions(authenticate: Authenticator, backends: ReadonlySet<PerClientBackend>): Authenticator {
  return async (req) => {
    const outcome = await authenticate(req);
    if (outcome.ok && outcome.auth.token) {
      for (const backend of backends) backend.open({ subject: outcome.subject, token: outcome.auth.token });
    }
    return outcome;
  };
}
