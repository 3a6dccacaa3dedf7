#!/usr/bin/env node
// mcpre: one CLI for the operator, the gateway and their tools. Each command lives in src/cli/<name>.ts and is
// imported lazily, so `mcpre --help` stays fast and a command's dependencies load only when it runs.
import { Command } from 'commander';
import { registerCommands } from './cli/commands.ts';

const program = new Command('mcpre')
  .description('Kubernetes operator and MCP gateway for MCPRemoteEndpoint resources')
  .showHelpAfterError('(run with --help for usage)')
  .version('0.1.0');

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`mcpre: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = process.exitCode || 1;
}
