// The integration tests' entry to a real control plane: one per test file, with an admin @kubernetes/client-node
// KubeConfig and fresh namespaces per test so tests do not see each other's objects.
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type RunningControlPlane, startControlPlane as start } from '../../src/control-plane/control-plane.ts';

export const REPO_ROOT = resolve(new URL('../..', import.meta.url).pathname);

export interface ControlPlane {
  kubeconfigPath: string;
  kubeconfig: string;
  kc: KubeConfig;
  server: string;
  /** Also restarts, freezes and thaws kube-apiserver, and compacts etcd, for tests of the clients' recovery. */
  running: RunningControlPlane;
  /** Creates a fresh namespace and returns its name. */
  namespace(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startControlPlane(
  opts: { crdDirs?: string[]; apiServerArgs?: string[] } = {},
): Promise<ControlPlane> {
  const crdDirs = (opts.crdDirs ?? ['crds']).map((d) => join(REPO_ROOT, d));
  const running = await start({ crdDirs, apiServerArgs: opts.apiServerArgs });
  const kc = new KubeConfig();
  kc.loadFromString(running.kubeconfig);
  return {
    kubeconfigPath: running.kubeconfigPath,
    kubeconfig: running.kubeconfig,
    kc,
    server: running.server,
    running,
    async namespace(prefix = 'test') {
      counter += 1;
      const name = `${prefix}-${process.pid}-${counter}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 63);
      const res = await running.admin.request('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
      if (res.status >= 300) throw new Error(`creating namespace ${name}: HTTP ${res.status} ${res.text}`);
      return name;
    },
    stop: () => running.stop(),
  };
}
