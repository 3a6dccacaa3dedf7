import type { Command } from 'commander';

export function registerViz(program: Command): void {
  program
    .command('viz')
    .description('print the state charts of the production machines, generated from their definitions')
    .option('--machine <name>', 'one machine (default: all)')
    .option('--format <format>', 'mermaid | json | dot', 'mermaid')
    .action(async (opts: { machine?: string; format: string }) => {
      const { printCharts } = await import('../viz/print.ts');
      process.stdout.write(await printCharts(opts));
    });
}
