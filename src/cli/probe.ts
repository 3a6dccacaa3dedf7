import type { Command } from 'commander';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description(
      'open one backend session to a remote MCP server and print what happens, state by state: the negotiated ' +
        'protocol version, the session id and GET stream it grants, its capabilities; optionally call a tool',
    )
    .argument(
      '<url>',
      'the remote MCP endpoint, e.g. https://mcp.example.com/mcp (or its /sse URL with --transport sse)',
    )
    .option('--transport <kind>', 'streamable-http or sse (the 2024-11-05 HTTP+SSE transport)', 'streamable-http')
    .option(
      '--header <NAME=VALUE>',
      'send this header on every request (repeatable; values are never printed)',
      collect,
      [],
    )
    .option(
      '--ca-bundle <file>',
      "PEM file of extra CA certificates to trust besides the OS certificate store and Node's bundled roots",
    )
    .option('--call <tool>', 'call this tool once the session is ready (through a re-initialization if needed)')
    .option('--args <json>', 'arguments for --call, a JSON object', '{}')
    .option(
      '--elicit-defaults',
      "declare elicitation and accept every elicitation request with its schema's default values (no user asked)",
    )
    .option('--watch <duration>', 'stay connected this long (e.g. 30s, 5m) and print every transition and list change')
    .option('--timeout <duration>', 'give up if the session is not ready within this time', '30s')
    .option('--json', 'print JSON lines instead of text')
    .option('--log-level <level>', 'pino log level for the session internals (logs go to stderr)', 'silent')
    .action(async (url: string, opts: Record<string, unknown>) => {
      const { runProbe } = await import('../probe/run-probe.ts');
      process.exitCode = await runProbe(url, opts);
    });
}
