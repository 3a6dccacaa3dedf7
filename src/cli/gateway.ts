import type { Command } from 'commander';
import type { RunGatewayOptions } from '../gateway/run-gateway.ts';
import { GATEWAY_DESCRIPTION, GATEWAY_OPTIONS } from './gateway-options.ts';
import { tracingHelp } from './tracing-help.ts';

export function registerGateway(program: Command): void {
  const command = program.command('gateway').description(GATEWAY_DESCRIPTION);
  for (const option of GATEWAY_OPTIONS) command.option(option.flags, option.description, option.default);
  command.addHelpText('after', tracingHelp).action(async (opts: RunGatewayOptions) => {
    const { runGateway } = await import('../gateway/run-gateway.ts');
    await runGateway(opts);
  });
}
