// `mcpre operator`: the process around the operator runtime. Kubeconfig resolution (flag, then in-cluster, then
// $KUBECONFIG), JSON logs on stdout (pino), and a clean shutdown on SIGTERM/SIGINT: stop watching, stop the actors,
// let in-flight writes finish for a few seconds, exit 0. A second signal exits at once.
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { type Level, pino } from 'pino';
import { startVmcpController } from '../vmcp/controller.ts';
import { DEFAULT_PROXY_IMAGE, startOperator } from './operator.ts';

export interface OperatorCliOptions {
  kubeconfig?: string;
  namespace?: string;
  logLevel: string;
  proxyImage?: string;
  writeConcurrency: string;
  resync: string;
}

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function loadKubeConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { kc: KubeConfig; source: string } {
  const kc = new KubeConfig();
  if (file) {
    if (!existsSync(file)) throw new Error(`--kubeconfig ${file}: no such file`);
    kc.loadFromFile(file);
    return { kc, source: file };
  }
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    kc.loadFromCluster();
    return { kc, source: 'in-cluster service account' };
  }
  if (env.KUBECONFIG) {
    kc.loadFromFile(env.KUBECONFIG);
    return { kc, source: env.KUBECONFIG };
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
  const resyncSeconds = Number(opts.resync);
  if (!Number.isFinite(resyncSeconds) || resyncSeconds < 10) {
    throw new Error(`--resync ${opts.resync}: use a number of seconds, at least 10`);
  }
  const { kc, source } = loadKubeConfig(opts.kubeconfig);
  const logger = pino({ level, base: { component: 'operator' } });
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

  const operator = startOperator({
    kubeconfig: kc,
    namespace: opts.namespace,
    logger,
    proxy: { image },
    writeConcurrency,
    resyncMs: resyncSeconds * 1000,
  });
  // VirtualMCPServers: the gateway runs the same image as the proxy pods.
  const vmcp = startVmcpController({
    kubeconfig: kc,
    namespace: opts.namespace,
    logger,
    settings: { image },
    resyncMs: resyncSeconds * 1000,
  });

  let stopping = false;
  const done = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      Promise.all([operator.stop(), vmcp.stop()])
        .catch((err: unknown) => logger.error({ err }, 'error during shutdown'))
        .finally(() => {
          const { statusWrites, groupWrites, requests } = operator.stats;
          logger.info({ statusWrites, groupWrites, requests }, 'stopped');
          resolve();
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });

  operator.ready
    .then(() => logger.info({ endpoints: operator.registry.size }, 'ready'))
    .catch((err: unknown) => logger.error({ err }, 'operator failed to start'));
  await done;
}
