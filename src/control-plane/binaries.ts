// Where kube-apiserver, etcd and kubectl come from: KUBEBUILDER_ASSETS when set (it wins, nothing is built),
// otherwise scripts/setup-control-plane.sh, which builds pinned versions from Go modules once into a cache
// outside the repository and prints the directory on its last line.
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { packagePath } from '../runtime/package-root.ts';

export interface ControlPlaneBinaries {
  dir: string;
  kubeApiserver: string;
  etcd: string;
  /** kubectl may be absent from a user-provided KUBEBUILDER_ASSETS. */
  kubectl?: string;
}

const SETUP_SCRIPT = packagePath('scripts', 'setup-control-plane.sh');

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function fromDir(dir: string): Promise<ControlPlaneBinaries> {
  const b: ControlPlaneBinaries = { dir, kubeApiserver: `${dir}/kube-apiserver`, etcd: `${dir}/etcd` };
  for (const [name, path] of [
    ['kube-apiserver', b.kubeApiserver],
    ['etcd', b.etcd],
  ] as const) {
    if (!(await executable(path))) {
      throw new Error(
        `${name} not found or not executable at ${path}. Set KUBEBUILDER_ASSETS to a directory holding ` +
          `kube-apiserver, etcd and kubectl, or unset it to let scripts/setup-control-plane.sh build them.`,
      );
    }
  }
  if (await executable(`${dir}/kubectl`)) b.kubectl = `${dir}/kubectl`;
  return b;
}

/**
 * Resolves the binaries, building them on first use. The build prints its progress to our stderr, because a first
 * run costs minutes and a silent wait looks like a hang.
 */
export async function ensureControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) return fromDir(assets);
  const dir = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [SETUP_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    // A streaming decoder: the printed path may hold multi-byte characters cut between two chunks.
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last) resolve(last);
      else reject(new Error(`scripts/setup-control-plane.sh failed (exit ${code}); its messages above say why`));
    });
  });
  return fromDir(dir);
}
