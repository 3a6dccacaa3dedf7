import type { Command } from 'commander';
import type { OperatorCliOptions } from '../runtime/operator/run.ts';

export function registerOperator(program: Command): void {
  program
    .command('operator')
    .description('reconcile MCPRemoteEndpoint resources (direct and proxy) and MCPGroup membership status')
    .option('--kubeconfig <file>', 'kubeconfig to use; without it the in-cluster service account is used')
    .option('--namespace <ns>', 'watch only this namespace (default: all namespaces)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
    .option('--proxy-image <image>', 'image of proxy pods (default: $MCPRE_PROXY_IMAGE or the built-in default)')
    .option('--write-concurrency <n>', 'concurrent writes to the API server', '32')
    .option('--resync <seconds>', 'look at every endpoint again this often, even without a change', '600')
    .action(async (opts: OperatorCliOptions) => {
      const { runOperator } = await import('../runtime/operator/run.ts');
      await runOperator(opts);
    });
}
