// `mcpre dev cluster`: the test control plane in the foreground, for a person with kubectl. Everything it made
// (processes, certificates, etcd data, the kubeconfig) is removed on Ctrl-C or SIGTERM.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startControlPlane } from './control-plane.ts';

export async function runDevCluster(opts: { kubeconfig: string }): Promise<void> {
  const kubeconfigPath = resolve(opts.kubeconfig);
  process.stderr.write('mcpre dev cluster: starting etcd and kube-apiserver on 127.0.0.1 ...\n');
  const cp = await startControlPlane({ kubeconfigPath });
  const kubectl = cp.binaries.kubectl ?? 'kubectl';
  process.stdout.write(
    `mcpre dev cluster ready: server ${cp.server}, kubeconfig ${kubeconfigPath}, CRDs ${cp.crds.join(', ')}\n` +
      `  try: ${kubectl} --kubeconfig ${kubeconfigPath} apply -f examples/\n` +
      `       ${kubectl} --kubeconfig ${kubeconfigPath} get mcpre\n` +
      '  stop with Ctrl-C\n',
  );
  await new Promise<void>((done) => {
    const shutdown = (signal: string) => {
      process.stderr.write(`mcpre dev cluster: ${signal}, stopping and removing ${cp.dir}\n`);
      cp.stop()
        .then(() => rm(kubeconfigPath, { force: true }))
        .finally(done);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
