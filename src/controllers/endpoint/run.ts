// `mcpre operator`: the process around the operator runtime. Kubeconfig resolution (flag, then in-cluster, then
// $KUBECONFIG), JSON logs on stdout (pino), optional leader election on a Lease (only the holder reconciles), the
// /metrics, /healthz and /readyz endpoint, and a clean shutdown on SIGTERM/SIGINT: stop watching, let in-flight
// writes finish, release the Lease, exit 0. A second signal exits at once. (Lifecycle: src/runtime/leader.)

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Level, type Logger, pino } from 'pino';
import type { InspectionEvent } from 'xstate';
import { endpointMachine } from '../../machines/endpoint.ts';
import { gatewayReplicaMachine } from '../../machines/gateway-replica.ts';
import { virtualMcpServerMachine } from '../../machines/virtual-mcp-server.ts';
import { systemClock, systemLeaseClock } from '../../runtime/clock.ts';
import { ActorDirectory } from '../../runtime/inspection/actor-directory.ts';
import { createKubeHttp, type KubeHttp, logConnectionEvents } from '../../runtime/kube/kube-http.ts';
import { inClusterTarget, type KubeTarget, kubeconfigFromFile } from '../../runtime/kube/kubeconfig.ts';
import { Manager } from '../../runtime/kube/manager.ts';
import { type LeaderElector, startLeaderElector } from '../../runtime/leader/leader-elector.ts';
import { type Controllers, runLifecycle } from '../../runtime/leader/operator-lifecycle.ts';
import { explainListenError } from '../../runtime/listen.ts';
import { traceLogOptions } from '../../runtime/logging.ts';
import { combineInspectors } from '../../runtime/metrics/actor-metrics.ts';
import { OperatorMetrics } from '../../runtime/metrics/operator-metrics.ts';
import { type NamedCheck, startProbeServer } from '../../runtime/metrics/probe-server.ts';
import { resolveNamespace } from '../../runtime/namespace.ts';
import { shutdownTracing, startTracing } from '../../runtime/tracing/tracing.ts';
import { createDebugHandler } from '../../viz/live-view/debug-handler.ts';
import { startOperatorControllers } from '../operator.ts';
import { DEFAULT_PROXY_IMAGE } from './controller.ts';

export interface OperatorCliOptions {
  kubeconfig?: string;
  namespace?: string;
  logLevel: string;
  proxyImage?: string;
  writeConcurrency: string;
  /** Writes started per second at most; 0 (the default) leaves the rate to --write-concurrency and the API server. */
  writeRate?: string;
  resync: string;
  leaderElect?: boolean;
  leaseName?: string;
  leaseNamespace?: string;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  metricsPort?: string;
  metricsAddress?: string;
}

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
/** Endpoints reconciled at once per write in flight (reads from the caches are fast; writes set the pace). */
const ENDPOINTS_PER_WRITE_SLOT = 4;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export async function loadKubeConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ kc: KubeTarget; source: string }> {
  if (file) {
    if (!existsSync(file)) throw new Error(`--kubeconfig ${file}: no such file`);
    return { kc: await kubeconfigFromFile(file), source: file };
  }
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    return { kc: inClusterTarget(env), source: 'in-cluster service account' };
  }
  if (env.KUBECONFIG) {
    return { kc: await kubeconfigFromFile(env.KUBECONFIG), source: env.KUBECONFIG };
  }
  throw new Error(
    'no cluster to talk to: pass --kubeconfig FILE, set KUBECONFIG, or run inside a cluster (KUBERNETES_SERVICE_HOST is not set)',
  );
}

export async function runOperator(opts: OperatorCliOptions): Promise<void> {
  const level = opts.logLevel as Level;
  if (!LEVELS.includes(level)) throw new Error(`--log-level ${opts.logLevel}: use one of ${LEVELS.join(', ')}`);
  if (opts.namespace !== undefined && !DNS_LABEL.test(opts.namespace)) {
    throw new Error(`--namespace ${JSON.stringify(opts.namespace)} is not a valid namespace name`);
  }
  const writeConcurrency = Number(opts.writeConcurrency);
  if (!Number.isInteger(writeConcurrency) || writeConcurrency < 1 || writeConcurrency > 1024) {
    throw new Error(`--write-concurrency ${opts.writeConcurrency}: use a whole number from 1 to 1024`);
  }
  const writeRate = Number(opts.writeRate ?? 0);
  if (!Number.isInteger(writeRate) || writeRate < 0 || writeRate > 100_000) {
    throw new Error(`--write-rate ${opts.writeRate}: use a whole number of writes per second (0 for no limit)`);
  }
  const resyncSeconds = Number(opts.resync);
  if (!Number.isFinite(resyncSeconds) || resyncSeconds < 10) {
    throw new Error(`--resync ${opts.resync}: use a number of seconds, at least 10`);
  }
  const { kc, source } = await loadKubeConfig(opts.kubeconfig);
  // Before the logger: its lines carry trace ids only when tracing is on when it is made.
  await startTracing(process.env, 'mcpre-operator');
  const logger = pino({ level, base: { component: 'operator' }, ...traceLogOptions() });
  const image = opts.proxyImage ?? process.env.MCPRE_PROXY_IMAGE ?? DEFAULT_PROXY_IMAGE;
  logger.info(
    {
      kubeconfig: source,
      server: kc.getCurrentCluster()?.server,
      namespace: opts.namespace ?? '(all)',
      proxyImage: image,
    },
    'starting',
  );

  const metricsPort = opts.metricsPort === undefined ? undefined : Number(opts.metricsPort);
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65535)) {
    throw new Error(`--metrics-port ${opts.metricsPort}: use a port number from 0 to 65535`);
  }
  const metrics = new OperatorMetrics();
  // Every actor (endpoints, VirtualMCPServers, the Lease) feeds both the metrics and the /debug/actors live view.
  const directory = new ActorDirectory({ now: systemClock.now });
  const inspect = combineInspectors(metrics.actors.inspect, directory.inspect) ?? directory.inspect;
  const instance = process.env.POD_NAME ?? hostname();
  // The metrics port binds before anything talks to the cluster: a busy port ends the process at once, with
  // nothing started that would keep it running. The probes get the lifecycle's checks once it exists.
  const liveness: NamedCheck[] = [];
  const readiness: NamedCheck[] = [];
  const probes =
    metricsPort === undefined
      ? undefined
      : await startProbeServer({
          port: metricsPort,
          host: opts.metricsAddress ?? (process.env.KUBERNETES_SERVICE_HOST ? '0.0.0.0' : '127.0.0.1'),
          registry: metrics.registry,
          liveness,
          readiness,
          extraRoutes: createDebugHandler({
            directory,
            machines: [endpointMachine, virtualMcpServerMachine, gatewayReplicaMachine],
          }),
        }).catch((err: unknown) => {
          throw explainListenError(err, {
            portOption: '--metrics-port N',
            addressOption: '--metrics-address',
            likelyOwner: 'another mcpre operator?',
          });
        });
  // The process's one connection pool to the API server: the Lease and every controller share it.
  const http = createKubeHttp(kc, {
    connections: Math.max(8, writeConcurrency),
    onConnectionEvent: logConnectionEvents(logger),
  });
  const elector = opts.leaderElect ? startElector(http, opts, instance, logger, inspect) : undefined;
  const lifecycle = runLifecycle({
    logger,
    metrics,
    elector,
    exit: (code) => process.exit(code),
    closeTransport: () => http.close(),
    startControllers: () =>
      startControllers({
        http,
        opts,
        logger,
        metrics,
        image,
        instance,
        resyncMs: resyncSeconds * 1000,
        writeConcurrency,
        writeRate,
        inspect,
      }),
  });
  liveness.push(...lifecycle.liveness);
  readiness.push(...lifecycle.readiness);
  if (probes) logger.info({ url: probes.url.href }, 'serving /metrics, /healthz, /readyz and /debug/actors');
  await lifecycle.done;
  await probes?.close();
  await shutdownTracing();
}

/** Everything that reconciles, started only on the replica that leads: every controller on one manager. */
function startControllers(c: {
  http: KubeHttp;
  opts: OperatorCliOptions;
  logger: Logger;
  metrics: OperatorMetrics;
  image: string;
  instance: string;
  resyncMs: number;
  writeConcurrency: number;
  writeRate: number;
  inspect: (event: InspectionEvent) => void;
}): Controllers {
  const { opts, logger, metrics } = c;
  const manager = new Manager({
    http: c.http,
    namespace: opts.namespace,
    writes: { concurrency: c.writeConcurrency, perSecond: c.writeRate || undefined },
    log: (level, msg, fields) => logger[level](fields ?? {}, msg),
  });
  const controllers = startOperatorControllers(manager, {
    logger,
    image: c.image,
    instance: c.instance,
    resyncMs: c.resyncMs,
    inspect: c.inspect,
    // Enough endpoints at work to keep every write slot busy with status writes, few enough that a first pass over
    // thousands holds only these in memory (measured at 5,000 endpoints: see bench/operator-ready.bench.ts).
    maxBusyEndpoints: ENDPOINTS_PER_WRITE_SLOT * c.writeConcurrency,
    onDeprecationRecorded: (kind) => metrics.deprecationWarnings.inc({ kind }),
  });
  const { endpoints, groups, vmcps, deprecation } = controllers;
  metrics.watchQueue('endpoints', () => metrics.actors.busy('mcpremoteendpoint'));
  metrics.actors.countResting('endpoint', () => endpoints.registry.restingCensus());
  metrics.watchQueue('virtualmcpservers', () => metrics.actors.busy('virtualmcpserver'));
  metrics.watchQueue('groups', () => groups.queue.pending);
  const synced = (controller: string) => () => metrics.informersSynced.set({ controller }, 1);
  for (const controller of ['mcpremoteendpoint', 'virtualmcpserver', 'deprecation']) {
    metrics.informersSynced.set({ controller }, 0);
  }
  void manager.start();
  const ready = Promise.all([
    endpoints.ready.then(synced('mcpremoteendpoint')),
    groups.ready,
    vmcps.ready.then(synced('virtualmcpserver')),
    deprecation.ready.then(synced('deprecation')),
  ]).then(() =>
    logger.info(
      {
        endpoints: endpoints.registry.size,
        deprecatedKindsWatched: deprecation.watching(),
        watches: manager.informers.keys(),
      },
      'caches synced',
    ),
  );
  return {
    ready,
    async stop() {
      await manager.stop();
      const { statusWrites, requests } = endpoints.stats;
      logger.info({ statusWrites, groupWrites: groups.stats.writes, requests }, 'controllers stopped');
    },
  };
}

/** The Lease's namespace: --lease-namespace, else $POD_NAMESPACE, else the pod's own, else --namespace. */
export function leaseNamespace(opts: OperatorCliOptions, env: NodeJS.ProcessEnv = process.env): string {
  return resolveNamespace({
    before: [opts.leaseNamespace, env.POD_NAMESPACE],
    after: [opts.namespace],
    missing:
      '--leader-elect needs the namespace of its Lease: pass --lease-namespace, set POD_NAMESPACE, or run in a pod',
  });
}

function startElector(
  api: KubeHttp,
  opts: OperatorCliOptions,
  instance: string,
  logger: Logger,
  inspect: (event: InspectionEvent) => void,
): LeaderElector {
  const namespace = leaseNamespace(opts);
  if (!DNS_LABEL.test(namespace))
    throw new Error(`--lease-namespace ${JSON.stringify(namespace)} is not a valid namespace name`);
  return startLeaderElector({
    api,
    clock: systemLeaseClock,
    // A restarted pod keeps its name: the suffix keeps two lives of one pod from sharing an identity.
    identity: `${instance}_${randomUUID().slice(0, 8)}`,
    lease: {
      namespace,
      name: opts.leaseName ?? 'mcpre-operator',
      durationSeconds: Number(opts.leaseDuration ?? 15),
      renewDeadlineSeconds: Number(opts.renewDeadline ?? 10),
      retryPeriodSeconds: Number(opts.retryPeriod ?? 2),
    },
    inspect,
    onEvent: (e) => {
      const lease = `${namespace}/${opts.leaseName ?? 'mcpre-operator'}`;
      if (e.type === 'acquired') logger.info({ lease, identity: e.identity }, 'acquired the operator Lease');
      else if (e.type === 'standby') logger.info({ lease, holder: e.holder }, 'standby: the operator Lease is held');
      else if (e.type === 'error') logger.warn({ lease, err: e.error }, 'operator Lease request failed');
    },
  });
}
