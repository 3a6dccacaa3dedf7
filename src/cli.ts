#!/usr/bin/env node
// mcpre: one CLI for the operator, the gateway and their tools. Each command lives in src/cli/<name>.ts and is
// imported lazily, so `mcpre --help` stays fast and a command's dependencies load only when it runs. A plain
// `mcpre gateway ...` line is read without commander (cli/gateway-args.ts), so a gateway does not hold it.

async function main(argv: string[]): Promise<void> {
  if (argv[2] === 'gateway') {
    const { plainGatewayArgs } = await import('./cli/gateway-args.ts');
    const opts = plainGatewayArgs(argv.slice(3));
    if (opts) {
      const { runGateway } = await import('./gateway/run-gateway.ts');
      return runGateway(opts);
    }
  }
  const [{ Command }, { registerCommands }] = await Promise.all([import('commander'), import('./cli/commands.ts')]);
  const program = new Command('mcpre')
    .description('Kubernetes operator and MCP gateway for MCPRemoteEndpoint resources')
    .showHelpAfterError('(run with --help for usage)')
    .version('0.1.0');
  registerCommands(program);
  await program.parseAsync(argv);
}

try {
  await main(process.argv);
} catch (err) {
  process.stderr.write(`mcpre: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = process.exitCode || 1;
}
