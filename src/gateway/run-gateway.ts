// `mcpre gateway`: load the config file, start the gateway, print where it serves, stop cleanly on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type GatewayConfig, GatewayConfigError, validateGatewayConfig } from '../api/gateway/config.ts';
import { parseSessionStoreUrl } from '../api/gateway/session-store.ts';
import { sessionStorePassword } from '../api/gateway/session-store-password.ts';
import type { MCPToolConfigSpec } from '../api/generated/index.ts';
import { MCP_TOOL_CONFIG } from '../api/resources.ts';
import { systemClock } from '../runtime/clock.ts';
import { ActorDirectory } from '../runtime/inspection/actor-directory.ts';
import { explainListenError } from '../runtime/listen.ts';
import { shutdownTracing, startTracing } from '../runtime/tracing/tracing.ts';
import { defaultLogger, type RunningGateway, startGateway } from './gateway.ts';
import type { SessionStoreSettings } from './sessions/redis-store-setup.ts';

export interface RunGatewayOptions {
  port?: string;
  address?: string;
  config?: string;
  logLevel?: string;
  kubeconfig?: string;
  namespace?: string;
  group?: string;
  proxyMode?: boolean;
  /** Serve the /debug/actors live view. */
  debug?: boolean;
  /** Client sessions in Redis at this URL (overrides the config file's sessionStore.url). */
  sessionStore?: string;
  /** The file holding the session store's password (overrides sessionStore.passwordFile). */
  sessionStorePasswordFile?: string;
  /** PEM CA certificates trusted for a rediss store (overrides sessionStore.caFile). */
  sessionStoreCaFile?: string;
  /** The client certificate for a rediss store that asks for one (with the key file; overrides sessionStore.certFile). */
  sessionStoreCertFile?: string;
  /** The client certificate's private key (overrides sessionStore.keyFile). */
  sessionStoreKeyFile?: string;
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
  const { parseGatewayConfig } = await import('../api/gateway/config-text.ts');
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
  // Before the logger (its lines carry trace ids only when tracing is on when it is made) and before any backend.
  await startTracing(process.env, opts.proxyMode ? 'mcpre-proxy' : 'mcpre-gateway');
  try {
    if (opts.proxyMode) await runProxyMode(opts);
    else await runAggregatingGateway(opts);
  } finally {
    await shutdownTracing();
  }
}

async function runAggregatingGateway(opts: RunGatewayOptions): Promise<void> {
  const config = opts.config ? await loadGatewayConfigFile(opts.config) : validateGatewayConfig({});
  if (opts.group && config.backends.length > 0) {
    throw new GatewayConfigError(
      `--group discovers the backends of MCPGroup ${opts.group}; the config file ${opts.config} lists backends too: use one or the other`,
    );
  }
  const storeSettings = sessionStoreSettings(opts, config);
  const logger = defaultLogger(opts.logLevel);
  const stops: Array<() => Promise<void>> = [];
  const directory = opts.debug ? new ActorDirectory({ now: systemClock.now }) : undefined;
  try {
    const shared = storeSettings
      ? (await import('./sessions/redis-store-setup.ts')).startRedisSessionStore(storeSettings, logger)
      : undefined;
    if (shared) stops.push(() => shared.close());
    if (shared && config.lease)
      logger.info(
        { lease: config.lease.name },
        'client sessions are shared in Redis: every replica serves, so the single-replica Lease is not used',
      );
    // With a Lease in the config (and sessions in this process), only the replica holding it opens direct backends
    // and reports ready.
    const replica =
      config.lease && !shared
        ? (await import('./replica.ts')).startReplica({
            lease: config.lease,
            namespace: opts.namespace,
            kubeconfigPath: opts.kubeconfig,
            logger,
            ...(directory ? { inspect: directory.inspect } : {}),
          })
        : undefined;
    if (replica) stops.push(() => replica.stop());
    let discoveryPending: string | undefined = opts.group
      ? `discovering the backends of MCPGroup ${opts.group}`
      : undefined;
    const gateway = await startGateway({
      config,
      port: parsePort(opts.port, 4483),
      host: opts.address ?? defaultAddress(),
      logger,
      replica,
      notReadyReason: () => discoveryPending ?? shared?.notReadyReason(),
      ...(shared ? { sessionStore: shared.store, readinessDetail: () => ({ sessionStore: shared.detail() }) } : {}),
      ...(directory ? { debug: { directory } } : {}),
    }).catch((err: unknown) => {
      throw explainListenError(err, {
        portOption: '--port N',
        addressOption: '--address',
        likelyOwner: 'another mcpre gateway or mcpre up?',
      });
    });
    // Close the direct backends first, then release the Lease, so two replicas never hold them at once.
    stops.unshift(() => gateway.close());
    if (opts.group) {
      const discovery = await startGroupDiscovery(opts, opts.group, gateway, logger);
      // Stop discovery before the gateway closes, so nothing re-opens a backend during shutdown.
      stops.unshift(() => discovery.stop());
      void discovery.synced.then(
        () => {
          discoveryPending = undefined;
        },
        (err) => logger.error({ err: String(err) }, 'dynamic discovery failed'),
      );
    }
    // Deployed by the operator for a VirtualMCPServer: report backend session state into its status.
    if (process.env.MCPRE_VMCP_NAME) {
      const { startGatewayStatusReporter } = await import('./vmcp-status-reporter.ts');
      const reporter = startGatewayStatusReporter({
        backends: () => gateway.backends(),
        replica,
        kubeconfigPath: opts.kubeconfig,
        namespace: opts.namespace,
        logger,
      });
      stops.unshift(() => reporter.close());
    }
    process.stdout.write(`mcpre gateway: serving MCP at ${gateway.url.href}\n`);
    await waitForSignal();
  } finally {
    for (const stop of stops) await stop().catch((err) => logger.error({ err: String(err) }, 'shutdown step failed'));
  }
}

/** The session store's file flags and the options they set. */
const SESSION_STORE_FILE_FLAGS = [
  ['--session-store-password-file', 'sessionStorePasswordFile'],
  ['--session-store-ca-file', 'sessionStoreCaFile'],
  ['--session-store-cert-file', 'sessionStoreCertFile'],
  ['--session-store-key-file', 'sessionStoreKeyFile'],
] as const;

/**
 * Where client sessions live: the --session-store URL, else the config file's sessionStore, else nowhere shared
 * (undefined: this process's memory). The password comes from --session-store-password-file, else the config's
 * passwordFile, else MCPRE_SESSION_STORE_PASSWORD. The CA file is --session-store-ca-file, else the config's caFile;
 * the client certificate and key are --session-store-cert-file and --session-store-key-file, else the config's
 * certFile and keyFile, taken as a pair from one place. The connection reads the files (a problem with one is its
 * not-ready reason).
 */
export function sessionStoreSettings(
  opts: Pick<
    RunGatewayOptions,
    'sessionStore' | 'sessionStorePasswordFile' | 'sessionStoreCaFile' | 'sessionStoreCertFile' | 'sessionStoreKeyFile'
  >,
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = process.env,
): SessionStoreSettings | undefined {
  const fileFlags = SESSION_STORE_FILE_FLAGS.map(([flag, key]) => [flag, opts[key]] as const);
  // An empty value would otherwise fall back to the config file or the environment without a word.
  for (const [flag, value] of fileFlags)
    if (value === '')
      throw new GatewayConfigError(`${flag} is empty: give the path of the file, or leave the flag out`);
  const url = opts.sessionStore ?? config.sessionStore?.url;
  if (url === undefined) {
    for (const [flag, value] of fileFlags)
      if (value) throw new GatewayConfigError(`${flag} needs a session store (--session-store or sessionStore)`);
    return undefined;
  }
  const parsed = parseSessionStoreUrl(url);
  if ('problem' in parsed)
    throw new GatewayConfigError(
      `${opts.sessionStore ? '--session-store: ' : ''}the session store URL ${parsed.problem}`,
    );
  let password: string | undefined;
  try {
    password = sessionStorePassword({
      file: opts.sessionStorePasswordFile ?? config.sessionStore?.passwordFile,
      env,
      readFile: (path) => readFileSync(path, 'utf8'),
    });
  } catch (err) {
    throw new GatewayConfigError((err as Error).message);
  }
  const caFile = opts.sessionStoreCaFile ?? config.sessionStore?.caFile;
  const clientCert = sessionStoreClientCert(opts, config);
  const tlsOnly = [
    [opts.sessionStoreCaFile ? '--session-store-ca-file' : 'sessionStore.caFile', caFile],
    [clientCert?.from, clientCert],
  ] as const;
  for (const [name, value] of tlsOnly)
    if (value !== undefined && !parsed.address.tls)
      throw new GatewayConfigError(`${name} is only used with TLS: the session store URL must start with rediss://`);
  return {
    address: parsed.address,
    ...(password !== undefined ? { password } : {}),
    ...(caFile !== undefined ? { caFile } : {}),
    ...(clientCert ? { clientCert: { certFile: clientCert.certFile, keyFile: clientCert.keyFile } } : {}),
  };
}

/** The client certificate and key: both flags, else the config's pair (a lone flag would mix two sources). */
function sessionStoreClientCert(
  opts: Pick<RunGatewayOptions, 'sessionStoreCertFile' | 'sessionStoreKeyFile'>,
  config: GatewayConfig,
): { certFile: string; keyFile: string; from: string } | undefined {
  const { sessionStoreCertFile: certFile, sessionStoreKeyFile: keyFile } = opts;
  if (certFile !== undefined && keyFile !== undefined) return { certFile, keyFile, from: '--session-store-cert-file' };
  if (certFile !== undefined || keyFile !== undefined)
    throw new GatewayConfigError(
      `${certFile !== undefined ? '--session-store-cert-file needs --session-store-key-file' : '--session-store-key-file needs --session-store-cert-file'}: a certificate and its key are given together`,
    );
  const store = config.sessionStore;
  if (store?.certFile !== undefined && store.keyFile !== undefined)
    return { certFile: store.certFile, keyFile: store.keyFile, from: 'sessionStore.certFile' };
  return undefined;
}

/** The proxy pod: one backend from the operator's environment, names unprefixed, on MCPRE_PROXY_PORT. */
async function runProxyMode(opts: RunGatewayOptions): Promise<void> {
  const given = (
    [
      ['--config', 'config'],
      ['--group', 'group'],
      ['--session-store', 'sessionStore'],
      ...SESSION_STORE_FILE_FLAGS,
    ] as const
  ).filter(([, key]) => opts[key] !== undefined);
  if (given.length > 0)
    throw new GatewayConfigError(
      `--proxy-mode takes its settings from the environment only: leave out ${given.map(([flag]) => flag).join(', ')}`,
    );
  const { proxyModeSettings } = await import('./proxy-mode.ts');
  const settings = proxyModeSettings({ env: process.env, readFile: (path) => readFileSync(path, 'utf8') });
  const logger = defaultLogger(opts.logLevel);
  for (const what of settings.ignored) logger.warn({ setting: what }, 'proxy setting has no effect in this build');
  const config = validateGatewayConfig(settings.config, 'the proxy-mode environment');
  if (settings.toolConfigName) {
    // The tool config decides which tools may be shown: without it the proxy does not serve.
    const tools = await readToolConfig(opts, settings.namespace, settings.toolConfigName);
    config.aggregation.tools = [{ backend: settings.endpointName, ...tools }];
  }
  const gateway = await startGateway({
    config,
    port: settings.port,
    host: opts.address ?? defaultAddress(),
    logger,
  }).catch((err: unknown) => {
    throw explainListenError(err, { portOption: 'MCPRE_PROXY_PORT=N', addressOption: '--address' });
  });
  process.stdout.write(
    `mcpre gateway: proxy for ${settings.namespace}/${settings.endpointName} serving MCP at ${gateway.url.href}\n`,
  );
  await untilSignal(gateway);
}

async function readToolConfig(opts: RunGatewayOptions, namespace: string, name: string) {
  const [{ KubeConfig }, { createKubeHttp }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../runtime/kube/kube-http.ts'),
  ]);
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  const api = createKubeHttp(kc);
  try {
    const path = `/apis/${MCP_TOOL_CONFIG.group}/${MCP_TOOL_CONFIG.version}/namespaces/${namespace}/${MCP_TOOL_CONFIG.plural}/${name}`;
    const obj = await api.request<{ spec?: MCPToolConfigSpec }>({ method: 'GET', path });
    return { filter: obj.spec?.toolsFilter, overrides: obj.spec?.toolsOverride };
  } catch (err) {
    throw new GatewayConfigError(
      `cannot read MCPToolConfig ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    await api.close();
  }
}

async function startGroupDiscovery(opts: RunGatewayOptions, group: string, gateway: RunningGateway, logger: Logger) {
  const [
    { KubeConfig },
    { createKubeHttp },
    { startDynamicDiscovery },
    { resolveNamespace },
    { gatewayNamespaceMissing },
  ] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../runtime/kube/kube-http.ts'),
    import('./discovery/dynamic-discovery.ts'),
    import('../runtime/namespace.ts'),
    import('./replica.ts'),
  ]);
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  const api = createKubeHttp(kc);
  const namespace = resolveNamespace({
    before: [opts.namespace],
    missing: gatewayNamespaceMissing('dynamic discovery'),
  });
  const discovery = startDynamicDiscovery({ api, namespace, group, logger, apply: (d) => gateway.applyBackends(d) });
  return {
    synced: discovery.synced,
    stop: async () => {
      await discovery.stop();
      await api.close();
    },
  };
}

export async function untilSignal(gateway: Pick<RunningGateway, 'close'>, extra?: () => Promise<void>): Promise<void> {
  await waitForSignal();
  await gateway.close();
  await extra?.();
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
