// A plain `mcpre gateway` command line reads the same without commander as with it (src/cli/gateway-args.ts), and
// whatever commander must answer (help, an unknown flag, a missing value, a stray argument) is left to it.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerGateway } from '../../../src/cli/gateway.ts';
import { plainGatewayArgs } from '../../../src/cli/gateway-args.ts';

/** What commander hands the gateway command's action for `args`. */
async function viaCommander(args: string[]): Promise<unknown> {
  const program = new Command('mcpre').exitOverride();
  registerGateway(program);
  let seen: unknown;
  program.commands[0]!.action((opts: unknown) => {
    seen = { ...(opts as object) };
  });
  await program.parseAsync(['node', 'mcpre', 'gateway', ...args]);
  return seen;
}

describe('mcpre gateway without commander', () => {
  it('reads every option as commander does, defaults included', async () => {
    const lines = [
      [],
      ['--port', '0', '--config', '/etc/mcpre/gateway.yaml'],
      ['--config=/c.yaml', '--address', '0.0.0.0', '--port=8080', '--log-level', 'debug'],
      ['--group', 'g', '--namespace', 'ns', '--kubeconfig', '/k', '--debug'],
      ['--proxy-mode', '--session-store', 'redis://127.0.0.1:6379/2', '--session-store-password-file', '/p'],
      ['--session-store', 'rediss://127.0.0.1:6380', '--session-store-ca-file', '/etc/redis-ca/ca.crt'],
      ['--port', '1', '--port', '2'],
    ];
    for (const line of lines) expect(plainGatewayArgs(line), line.join(' ')).toEqual(await viaCommander(line));
  });

  it('leaves help, unknown flags, missing values and stray arguments to commander', () => {
    for (const line of [['--help'], ['-h'], ['--bogus'], ['--port'], ['extra'], ['--debug=yes']]) {
      expect(plainGatewayArgs(line), line.join(' ')).toBeUndefined();
    }
  });
});
