import type { Command } from 'commander';
import type { OperatorCliOptions } from '../controllers/endpoint/run.ts';
import { tracingHelp } from './tracing-help.ts';

export function registerOperator(program: Command): void {
  program
    .command('operator')
    .description('reconcile MCPRemoteEndpoint resources (direct and proxy) and MCPGroup membership status')
    .option('--kubeconfig <file>', 'kubeconfig to use; without it the in-cluster service account is used')
    .option('--namespace <ns>', 'watch only this namespace (default: all namespaces)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
    .option('--proxy-image <image>', 'image of proxy pods (default: $MCPRE_PROXY_IMAGE or the built-in default)')
    .option('--write-concurrency <n>', 'concurrent writes to the API server', '32')
    .option('--write-rate <n>', 'writes started per second at most (0: no limit beyond --write-concurrency)', '0')
    .option('--resync <seconds>', 'look at every endpoint again this often, even without a change', '600')
    .option('--leader-elect', 'reconcile only while holding a Lease (run several replicas for a warm standby)')
    .option('--lease-name <name>', 'name of the leader-election Lease', 'mcpre-operator')
    .option('--lease-namespace <ns>', "namespace of the Lease (default: $POD_NAMESPACE, the pod's, or --namespace)")
    .option('--lease-duration <seconds>', 'a standby takes over a Lease not renewed for this long', '15')
    .option('--renew-deadline <seconds>', 'the leader stops (exits) when it could not renew for this long', '10')
    .option('--retry-period <seconds>', 'wait between Lease attempts, to acquire and to renew', '2')
    .option(
      '--metrics-port <port>',
      'serve /metrics, /healthz and /readyz on this port (0: any free port; default: off)',
    )
    .option('--metrics-address <addr>', 'address for --metrics-port (default: 0.0.0.0 in a pod, else 127.0.0.1)')
    .addHelpText('after', tracingHelp)
    .action(async (opts: OperatorCliOptions) => {
      const { runOperator } = await import('../controllers/endpoint/run.ts');
      await runOperator(opts);
    });
}
