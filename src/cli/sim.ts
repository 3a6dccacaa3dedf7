import type { Command } from 'commander';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description(
      'run the production operator and backend-session machines on virtual time against an in-memory API server and ' +
        'simulated MCP backends, with seeded faults; the same seed gives the same JSONL log byte for byte',
    )
    .option('--seed <n>', 'the seed (an integer)', '1')
    .option('--duration <d>', 'virtual time with faults, e.g. 90s, 30m, 24h', '1h')
    .option('--endpoints <k>', 'MCPRemoteEndpoints at the start (the scenario keeps them near this count)', '20')
    .option('--backends <k>', 'simulated MCP backends with a session actor each', '5')
    .option('--modern-share <f>', 'share of the backends (picked by the seed) that speak MCP 2026-07-28', '0.33')
    .option('--faults <profile>', 'none | default | harsh', 'default')
    .option('--record <file>', 'write the JSONL event log here')
    .option('--replay <file>', 're-run a recorded log and name the first step where it diverges')
    .option(
      '--inject-bug <kind>',
      'test hook the invariants must catch: status (a rogue status.url) | session (reuse after 404)',
    )
    .action(async (opts) => {
      const { runSimCommand } = await import('../sim/sim-command.ts');
      process.exitCode = await runSimCommand(opts);
    });
}
