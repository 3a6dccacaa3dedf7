// A real kube-apiserver and etcd on loopback, started the way controller-runtime's envtest starts them: two child
// processes, generated certificates, an admin user in system:masters, the mcpre CRDs installed and served.
// There is no controller-manager: no garbage collection, no Deployment controller, no default ServiceAccount.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../runtime/package-root.ts';
import { type AdminClient, adminClient, pollUntil } from './admin-client.ts';
import { type ControlPlaneBinaries, ensureControlPlaneBinaries } from './binaries.ts';
import { makeControlPlaneCerts } from './certs.ts';
import { installCrds } from './crd-install.ts';
import { freePort } from './free-port.ts';
import { adminKubeconfig } from './kubeconfig.ts';
import { type SupervisedProcess, startSupervised } from './supervised-process.ts';

export interface ControlPlaneOptions {
  /** Directories of CRD YAML to install; default: the repository's crds/. */
  crdDirs?: string[];
  /** Where to write the admin kubeconfig; default: inside the scratch directory. */
  kubeconfigPath?: string;
  binaries?: ControlPlaneBinaries;
  startTimeoutMs?: number;
  /** Write an audit log of every request (level Metadata) to `<dir>/audit.log`: who did which verb on what. */
  audit?: boolean;
  /** More kube-apiserver flags (a test's own settings, e.g. `--watch-cache=false`). */
  apiServerArgs?: string[];
}

export interface RunningControlPlane {
  server: string;
  kubeconfig: string;
  kubeconfigPath: string;
  binaries: ControlPlaneBinaries;
  /** Scratch directory holding certificates, etcd data and the process logs. */
  dir: string;
  admin: AdminClient;
  crds: string[];
  /** Set when started with `audit: true`. */
  auditLogPath?: string;
  /** A kubeconfig for another user, authenticated by a client certificate and subject to RBAC. */
  userKubeconfig(user: string, groups?: string[]): Promise<string>;
  /**
   * Stops kube-apiserver (SIGTERM: a graceful shutdown; SIGKILL: a crash) and starts it again on the same port,
   * certificates and etcd, resolving once it is ready; clients reconnect to the same address.
   */
  restartApiServer(opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** SIGSTOP to kube-apiserver: connections stay open and nothing answers, like a hung or overloaded server. */
  freezeApiServer(): Promise<void>;
  /** SIGCONT: the frozen kube-apiserver carries on with the connections it has. */
  thawApiServer(): Promise<void>;
  /**
   * Compacts etcd's history up to its current revision and returns that revision: a watch resuming from an older
   * resourceVersion that etcd must serve gets 410 Gone.
   */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

export const DEFAULT_CRD_DIR = packagePath('crds');

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return `--- last lines of ${file} ---\n${(await readFile(file, 'utf8')).trim().split('\n').slice(-lines).join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}

async function startOnce(opts: ControlPlaneOptions, binaries: ControlPlaneBinaries): Promise<RunningControlPlane> {
  const timeoutMs = opts.startTimeoutMs ?? Number(process.env.MCPRE_CONTROLPLANE_START_TIMEOUT_MS ?? 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-control-plane-'));
  const certDir = join(dir, 'certs');
  const etcdDir = join(dir, 'etcd');
  const procs: SupervisedProcess[] = [];
  const stopAll = async () => {
    for (const p of procs.reverse()) await p.stop();
  };
  try {
    const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = startSupervised({
      name: 'etcd',
      command: binaries.etcd,
      args: [
        `--data-dir=${etcdDir}`,
        `--listen-client-urls=http://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      logFile: join(dir, 'etcd.log'),
      cleanupDirs: [dir],
    });
    procs.push(etcd);
    await pollUntil(
      'etcd /health',
      async () => (await fetch(`http://127.0.0.1:${clientPort}/health`, { signal: AbortSignal.timeout(1000) })).ok,
      { timeoutMs, intervalMs: 100, onTimeout: () => tail(etcd.logFile) },
    );

    const certs = await makeControlPlaneCerts(new Date());
    const { mkdir } = await import('node:fs/promises');
    await mkdir(certDir, { recursive: true, mode: 0o700 });
    const files: Record<string, string> = {
      'apiserver.crt': certs.serving.certPem,
      'apiserver.key': certs.serving.keyPem,
      'client-ca.crt': certs.clientCa.certPem,
      'sa.pub': certs.serviceAccount.publicPem,
      'sa.key': certs.serviceAccount.privatePem,
    };
    if (opts.audit) {
      files['audit-policy.yaml'] =
        'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n';
    }
    for (const [name, content] of Object.entries(files)) await writeFile(join(certDir, name), content, { mode: 0o600 });

    const server = `https://127.0.0.1:${apiPort}`;
    // Kept to start the same kube-apiserver again (restartApiServer).
    const apiServerSpec = {
      name: 'kube-apiserver',
      command: binaries.kubeApiserver,
      args: [
        `--etcd-servers=http://127.0.0.1:${clientPort}`,
        `--cert-dir=${certDir}`,
        `--tls-cert-file=${join(certDir, 'apiserver.crt')}`,
        `--tls-private-key-file=${join(certDir, 'apiserver.key')}`,
        `--secure-port=${apiPort}`,
        '--bind-address=127.0.0.1',
        `--client-ca-file=${join(certDir, 'client-ca.crt')}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        // No ServiceAccount controller runs, so the admission plugin would reject every pod-bearing object.
        '--disable-admission-plugins=ServiceAccount',
        `--service-account-issuer=${server}/`,
        `--service-account-key-file=${join(certDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(certDir, 'sa.key')}`,
        '--v=1',
        ...(opts.audit
          ? [
              `--audit-policy-file=${join(certDir, 'audit-policy.yaml')}`,
              `--audit-log-path=${join(dir, 'audit.log')}`,
              '--audit-log-format=json',
              '--audit-log-mode=blocking',
            ]
          : []),
        ...(opts.apiServerArgs ?? []),
      ],
      logFile: join(dir, 'kube-apiserver.log'),
      cleanupDirs: [dir],
    };
    let apiserver = startSupervised(apiServerSpec);
    procs.push(apiserver);
    const admin = adminClient(server, {
      ca: certs.servingCa.certPem,
      cert: certs.admin.certPem,
      key: certs.admin.keyPem,
    });
    await apiServerReady(apiserver, admin, timeoutMs);
    // The system-namespaces controller creates `default` shortly after readiness.
    await pollUntil(
      'the default namespace',
      async () => (await admin.request('GET', '/api/v1/namespaces/default')).status === 200,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const crds = await installCrds(admin, opts.crdDirs ?? [DEFAULT_CRD_DIR]);

    const kubeconfig = adminKubeconfig(server, certs.servingCa.certPem, certs.admin.certPem, certs.admin.keyPem);
    const kubeconfigPath = opts.kubeconfigPath ?? join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    let stopped: Promise<void> | undefined;
    return {
      server,
      kubeconfig,
      kubeconfigPath,
      binaries,
      dir,
      admin,
      crds,
      ...(opts.audit ? { auditLogPath: join(dir, 'audit.log') } : {}),
      async userKubeconfig(user, groups = []) {
        const pair = await certs.issueClient(user, groups);
        return adminKubeconfig(server, certs.servingCa.certPem, pair.certPem, pair.keyPem, user);
      },
      async restartApiServer(restart = {}) {
        await apiserver.stop(20_000, { signal: restart.signal ?? 'SIGTERM', keepFiles: true });
        // The port was free a moment ago, but anything on the machine may take it meanwhile (an outgoing
        // connection's local port, say): a start that cannot bind is retried, a few times.
        for (let attempt = 1; ; attempt++) {
          const next = startSupervised(apiServerSpec);
          procs[procs.indexOf(apiserver)] = next;
          apiserver = next;
          try {
            await apiServerReady(next, admin, timeoutMs);
            return;
          } catch (err) {
            await next.stop(5000, { keepFiles: true });
            if (attempt >= 3 || !/address already in use/i.test(String(err))) throw err;
          }
        }
      },
      freezeApiServer: () => apiserver.freeze(),
      thawApiServer: () => apiserver.thaw(),
      compactEtcd: () => compactEtcd(`http://127.0.0.1:${clientPort}`),
      stop() {
        stopped ??= (async () => {
          await admin.close();
          await stopAll();
        })();
        return stopped;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function apiServerReady(proc: SupervisedProcess, admin: AdminClient, timeoutMs: number): Promise<void> {
  const earlyExit = proc.exited.then((code) => {
    throw new Error(`kube-apiserver exited with code ${code} during start`);
  });
  earlyExit.catch(() => {});
  await Promise.race([
    earlyExit,
    pollUntil('kube-apiserver /readyz', async () => (await admin.request('GET', '/readyz')).status === 200, {
      timeoutMs,
      intervalMs: 100,
      onTimeout: () => tail(proc.logFile),
    }),
  ]).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await tail(proc.logFile)}`);
  });
}

/** Compacts etcd's history up to its current revision (through etcd's JSON gateway) and returns the revision. */
async function compactEtcd(etcd: string): Promise<number> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${etcd}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as { header?: { revision?: string } };
  };
  // Any range answers with the current revision in its header.
  const head = await call('/v3/kv/range', { key: Buffer.from('/').toString('base64'), limit: 1 });
  const revision = Number(head.header?.revision);
  if (!Number.isSafeInteger(revision) || revision < 1) throw new Error('etcd did not report its revision');
  await call('/v3/kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

/** Starts the control plane, retrying a few times because a free port can be taken between probe and bind. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<RunningControlPlane> {
  const binaries = opts.binaries ?? (await ensureControlPlaneBinaries());
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(opts, binaries);
    } catch (err) {
      lastError = err;
      if (!/address already in use|bind/i.test(String(err))) break;
    }
  }
  throw lastError;
}
