import type { Command } from 'commander';

export function registerDevCluster(program: Command): void {
  const dev = program.command('dev').description('developer tools');
  dev
    .command('cluster')
    .description('run a local kube-apiserver + etcd with the mcpre CRDs installed, until Ctrl-C')
    .requiredOption('--kubeconfig <file>', 'where to write the admin kubeconfig')
    .action(async (opts: { kubeconfig: string }) => {
      const { runDevCluster } = await import('../control-plane/dev-cluster.ts');
      await runDevCluster(opts);
    });
}
