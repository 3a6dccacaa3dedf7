// `mcpre gateway`: load the config file, start the gateway, print where it serves, stop cleanly on SIGINT/SIGTERM.
import { readFile } from 'node:fs/promises';
import {
  type GatewayConfig,
  GatewayConfigError,
  parseGatewayConfig,
  validateGatewayConfig,
} from '../../api/gateway-config.ts';
import { defaultLogger, type RunningGateway, startGateway } from './gateway.ts';

export interface RunGatewayOptions {
  port?: string;
  address?: string;
  config?: string;
  logLevel?: string;
  kubeconfig?: string;
  namespace?: string;
}

export async function loadGatewayConfigFile(path: string): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new GatewayConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  return parseGatewayConfig(text, path);
}

/** Outside a cluster the gateway listens on loopback only; in a pod it must be reachable through its Service. */
export function defaultAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBERNETES_SERVICE_HOST ? '0.0.0.0' : '127.0.0.1';
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  return port;
}

export async function runGateway(opts: RunGatewayOptions): Promise<void> {
  const config = opts.config ? await loadGatewayConfigFile(opts.config) : validateGatewayConfig({});
  const logger = defaultLogger(opts.logLevel);
  // With a Lease in the config, only the replica holding it opens direct backends and reports ready.
  const replica = config.lease
    ? (await import('./replica.ts')).startReplica({
        lease: config.lease,
        namespace: opts.namespace,
        kubeconfigPath: opts.kubeconfig,
        logger,
      })
    : undefined;
  const gateway = await startGateway({
    config,
    port: parsePort(opts.port, 4483),
    host: opts.address ?? defaultAddress(),
    logger,
    replica,
  }).catch(async (err) => {
    await replica?.stop();
    throw err;
  });
  process.stdout.write(`mcpre gateway: serving MCP at ${gateway.url.href}\n`);
  // Close the direct backends first, then release the Lease, so two replicas never hold them at once.
  await untilSignal(gateway, async () => replica?.stop());
}

export async function untilSignal(gateway: Pick<RunningGateway, 'close'>, extra?: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await gateway.close();
  await extra?.();
}
