// Reports the gateway's backend session states into its VirtualMCPServer's status and onto each endpoint's
// status.session. Runs inside `mcpre gateway` when the operator deployed it (MCPRE_VMCP_NAME is set). Only the replica
// that holds the Lease (or the only replica) reports, so standby pods never overwrite the active one. The gateway is
// polled (cheap, in memory); the API is touched only when what would be written changed, and re-checked once a
// minute in case someone else overwrote it.
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeApi } from '../actors/kube/kube-api.ts';
import {
  listGroupEndpoints,
  readVirtualMcpServer,
  writeEndpointSession,
  writeVmcpBackends,
} from '../actors/kube/vmcp-report-status.ts';
import { isoSeconds } from '../api/kube-time.ts';
import {
  buildBackendReport,
  type GatewayBackendReport,
  sameBackends,
  sameSession,
} from '../api/vmcp/backend-status.ts';
import { backendName, VmcpEnv } from '../api/vmcp/names.ts';
import { type RuntimeClock, systemClock } from '../runtime/clock.ts';
import { createKubeHttp } from '../runtime/kube/kube-http.ts';
import { childLogger } from '../runtime/logging.ts';
import { resolveNamespace } from '../runtime/namespace.ts';

export interface StatusReporterOptions {
  api: KubeApi;
  namespace: string;
  vmcpName: string;
  /** Who reports (the replica identity or pod name): written as reportedBy. */
  identity: string;
  backends: () => GatewayBackendReport[];
  /** False while this replica is on standby; defaults to always active. */
  isActive?: () => boolean;
  /** Time and timers; the system clock by default. */
  clock?: RuntimeClock;
  now?: () => string;
  intervalMs?: number;
  refreshMs?: number;
  logger: Logger;
}

export interface StatusReporter {
  /** Report now if anything changed (tests; the timer does the same). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startStatusReporter(opts: StatusReporterOptions): StatusReporter {
  const clock = opts.clock ?? systemClock;
  const now = opts.now ?? (() => isoSeconds(clock.now()));
  let written: string | undefined;
  let writtenAt = 0;
  let running: Promise<void> | undefined;
  let stopped = false;
  let failures = 0;

  async function report(): Promise<void> {
    if (stopped || !(opts.isActive?.() ?? true)) return;
    const reports = opts.backends();
    const signature = JSON.stringify(
      reports.map((r) => [r.name, r.type, r.state, r.reason ?? null, r.protocolVersion ?? null]),
    );
    const refreshDue = clock.now() - writtenAt > (opts.refreshMs ?? 60_000);
    if (signature === written && !refreshDue) return;

    const vmcp = await readVirtualMcpServer(opts.api, opts.namespace, opts.vmcpName);
    const endpoints = await listGroupEndpoints(opts.api, opts.namespace, vmcp.spec.groupRef);
    // Static configs name backends by backendName(); dynamic discovery by the endpoint name itself.
    const byBackend = new Map(
      endpoints.flatMap((e) => [[e.metadata.name, e] as const, [backendName(e.metadata.name), e] as const]),
    );
    const result = buildBackendReport(
      reports,
      (b) => byBackend.get(b)?.metadata.name,
      {
        backends: vmcp.status?.backends,
        sessions: new Map(endpoints.map((e) => [e.metadata.name, e.status?.session])),
      },
      now(),
      opts.identity,
    );
    if (
      !sameBackends(vmcp.status?.backends, result.backends) ||
      vmcp.status?.backendCount !== result.backendCount ||
      vmcp.status?.backendsReportedBy !== opts.identity
    ) {
      await writeVmcpBackends(opts.api, opts.namespace, opts.vmcpName, {
        backends: result.backends,
        backendCount: result.backendCount,
        backendsReportedBy: opts.identity,
      });
    }
    for (const e of endpoints) {
      const session = result.sessions.get(e.metadata.name);
      if (session && !sameSession(e.status?.session, session)) {
        await writeEndpointSession(opts.api, opts.namespace, e.metadata.name, session);
      }
    }
    written = signature;
    writtenAt = clock.now();
  }

  const tick = (): Promise<void> => {
    running ??= report()
      .then(() => {
        failures = 0;
      })
      .catch((err: unknown) => {
        failures += 1;
        // Once per streak is enough in the log; the next tick retries.
        if (failures === 1 || failures % 30 === 0) {
          opts.logger.warn(
            { err: err instanceof Error ? err.message : String(err), failures },
            'backend status report failed',
          );
        }
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const every = opts.intervalMs ?? 1000;
  const again = () => {
    void tick();
    if (!stopped) timer = clock.setTimeout(again, every);
  };
  let timer = clock.setTimeout(again, every);
  return {
    tick,
    async stop() {
      stopped = true;
      clock.clearTimeout(timer);
      await running;
    },
  };
}

/**
 * The reporter as `mcpre gateway` starts it: the VirtualMCPServer from MCPRE_VMCP_NAME / MCPRE_VMCP_NAMESPACE (set
 * by the operator), the API from --kubeconfig or the pod's service account.
 */
export function startGatewayStatusReporter(opts: {
  backends: () => GatewayBackendReport[];
  replica?: { identity: string; isActive(): boolean };
  kubeconfigPath?: string;
  namespace?: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}): StatusReporter & { close(): Promise<void> } {
  const env = opts.env ?? process.env;
  const vmcpName = env[VmcpEnv.name] ?? '';
  const namespace = resolveNamespace({
    before: [env[VmcpEnv.namespace], opts.namespace],
    missing: `${VmcpEnv.name} is set but the VirtualMCPServer's namespace is not: set ${VmcpEnv.namespace} or --namespace`,
  });
  const kc = new KubeConfig();
  if (opts.kubeconfigPath) kc.loadFromFile(opts.kubeconfigPath);
  else kc.loadFromDefault();
  const http = createKubeHttp(kc, { connections: 2 });
  const identity = opts.replica?.identity ?? env[VmcpEnv.podName] ?? hostname();
  const logger = childLogger(opts.logger, {
    component: 'status-reporter',
    virtualMcpServer: `${namespace}/${vmcpName}`,
  });
  const reporter = startStatusReporter({
    api: http,
    namespace,
    vmcpName,
    identity,
    backends: opts.backends,
    isActive: opts.replica ? () => opts.replica?.isActive() ?? true : undefined,
    logger,
  });
  logger.info({ identity }, 'reporting backend session state');
  return {
    ...reporter,
    async close() {
      await reporter.stop();
      await http.close();
    },
  };
}
