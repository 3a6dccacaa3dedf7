// The `mcpre gateway` command line, written once: commander registers it for `--help` and errors (gateway.ts), and a
// plain command line is read by node:util's parseArgs (gateway-args.ts) so a running gateway never loads commander.
import type { RunGatewayOptions } from '../gateway/run-gateway.ts';

export interface GatewayOption {
  /** As commander takes it: `--name <value>` for a value, `--name` for a switch. */
  flags: string;
  description: string;
  default?: string;
}

export const GATEWAY_DESCRIPTION =
  'serve the tools, resources and prompts of several MCP backends as one MCP server (Streamable HTTP at /mcp)';

export const GATEWAY_OPTIONS: readonly GatewayOption[] = [
  { flags: '--port <n>', description: 'port to listen on (0 picks a free one)', default: '4483' },
  {
    flags: '--address <addr>',
    description: 'address to bind (default: 127.0.0.1, or 0.0.0.0 inside a Kubernetes pod)',
  },
  { flags: '--config <file>', description: 'gateway config file (YAML): backends, aggregation, incoming auth' },
  { flags: '--log-level <level>', description: 'pino log level (logs go to stderr)', default: 'info' },
  {
    flags: '--kubeconfig <file>',
    description: 'kubeconfig for the Lease, --group and --proxy-mode (default: in-cluster, then $KUBECONFIG)',
  },
  { flags: '--namespace <ns>', description: "namespace of the Lease and of --group (default: the pod's)" },
  {
    flags: '--group <name>',
    description: 'dynamic mode: serve the MCPRemoteEndpoints of this MCPGroup, watched in --namespace',
  },
  { flags: '--debug', description: 'serve the live state-chart view at /debug/actors (backend sessions, replica)' },
  {
    flags: '--session-store <url>',
    description:
      'keep client sessions in Redis (redis://HOST:PORT[/DB] or rediss://...), shared by every replica, so any replica ' +
      "continues any session; overrides the config file's sessionStore. Default: in this process (one replica)",
  },
  {
    flags: '--session-store-password-file <file>',
    description:
      'file holding the session store password (else $MCPRE_SESSION_STORE_PASSWORD); never give it on the command line',
  },
  {
    flags: '--session-store-ca-file <file>',
    description:
      "PEM CA certificates trusted for a rediss:// session store in addition to the OS certificate store and Node's " +
      "bundled roots (overrides the config file's sessionStore.caFile); a change is taken up without a restart",
  },
  {
    flags: '--session-store-cert-file <file>',
    description:
      'PEM client certificate for a rediss:// session store that asks for one (tls-auth-clients), with ' +
      "--session-store-key-file (together they override the config file's sessionStore.certFile and keyFile); a " +
      'renewal is taken up without a restart',
  },
  {
    flags: '--session-store-key-file <file>',
    description: 'the unencrypted PEM private key of --session-store-cert-file',
  },
  {
    flags: '--proxy-mode',
    description: 'run as the proxy pod of a type: proxy MCPRemoteEndpoint (settings from MCPRE_PROXY_* env)',
  },
];

/** `--log-level <level>` -> `log-level`, whether it takes a value, and its RunGatewayOptions key `logLevel`. */
export function optionName(option: GatewayOption): { long: string; key: keyof RunGatewayOptions; takesValue: boolean } {
  const long = option.flags.split(' ')[0]!.slice(2);
  const key = long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof RunGatewayOptions;
  return { long, key, takesValue: option.flags.includes('<') };
}
