import type { Command } from 'commander';
import type { RunGatewayOptions } from '../gateway/run-gateway.ts';
import { tracingHelp } from './tracing-help.ts';

export function registerGateway(program: Command): void {
  program
    .command('gateway')
    .description(
      'serve the tools, resources and prompts of several MCP backends as one MCP server (Streamable HTTP at /mcp)',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one)', '4483')
    .option('--address <addr>', 'address to bind (default: 127.0.0.1, or 0.0.0.0 inside a Kubernetes pod)')
    .option('--config <file>', 'gateway config file (YAML): backends, aggregation, incoming auth')
    .option('--log-level <level>', 'pino log level (logs go to stderr)', 'info')
    .option(
      '--kubeconfig <file>',
      'kubeconfig for the Lease, --group and --proxy-mode (default: in-cluster, then $KUBECONFIG)',
    )
    .option('--namespace <ns>', "namespace of the Lease and of --group (default: the pod's)")
    .option('--group <name>', 'dynamic mode: serve the MCPRemoteEndpoints of this MCPGroup, watched in --namespace')
    .option('--debug', 'serve the live state-chart view at /debug/actors (backend sessions, replica)')
    .option(
      '--session-store <url>',
      'keep client sessions in Redis (redis://HOST:PORT[/DB] or rediss://...), shared by every replica, so any replica ' +
        "continues any session; overrides the config file's sessionStore. Default: in this process (one replica)",
    )
    .option(
      '--session-store-password-file <file>',
      'file holding the session store password (else $MCPRE_SESSION_STORE_PASSWORD); never give it on the command line',
    )
    .option('--proxy-mode', 'run as the proxy pod of a type: proxy MCPRemoteEndpoint (settings from MCPRE_PROXY_* env)')
    .addHelpText('after', tracingHelp)
    .action(async (opts: RunGatewayOptions) => {
      const { runGateway } = await import('../gateway/run-gateway.ts');
      await runGateway(opts);
    });
}
