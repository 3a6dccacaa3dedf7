// `mcpre dev cluster`: the test control plane in the foreground, for a person with kubectl. Everything it made
// (processes, certificates, etcd data, the kubeconfig) is removed on Ctrl-C or SIGTERM, also one that comes while it
// is still starting; then it exits 0.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { packagePath } from '../runtime/package-root.ts';
import { startControlPlane } from './control-plane.ts';

export async function runDevCluster(opts: { kubeconfig: string }): Promise<void> {
  const kubeconfigPath = resolve(opts.kubeconfig);
  let received: NodeJS.Signals | undefined;
  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals>((done) => {
    signalled = done;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    received = signal;
    signalled(signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    process.stderr.write('mcpre dev cluster: starting etcd and kube-apiserver on 127.0.0.1 ...\n');
    const cp = await startControlPlane({ kubeconfigPath });
    const kubectl = cp.binaries.kubectl ?? 'kubectl';
    if (!received)
      process.stdout.write(
        `mcpre dev cluster ready: server ${cp.server}, kubeconfig ${kubeconfigPath}, CRDs ${cp.crds.join(', ')}\n` +
          `  try: ${kubectl} --kubeconfig ${kubeconfigPath} apply -f ${packagePath('examples')}\n` +
          `       ${kubectl} --kubeconfig ${kubeconfigPath} get mcpre\n` +
          '  stop with Ctrl-C\n',
      );
    const signal = await stopRequested;
    process.stderr.write(`mcpre dev cluster: ${signal}, stopping and removing ${cp.dir}\n`);
    await cp.stop();
    await rm(kubeconfigPath, { force: true });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
