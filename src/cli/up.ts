import type { Command } from 'commander';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start demo MCP backends and the gateway over them on loopback: no cluster, no internet, no config')
    .option('--port <n>', 'gateway port (0 picks a free one)', '4483')
    .option('--log-level <level>', 'pino log level (logs go to stderr)', 'warn')
    .action(async (opts: { port?: string; logLevel?: string }) => {
      const { runUp } = await import('./up-stack.ts');
      await runUp(opts);
    });
}
