// A plain `mcpre gateway ...` command line read without commander (about 1.8 MiB a gateway would hold for its whole
// life to read a dozen flags). Anything else, `--help`, an unknown flag, a missing value or a stray argument, is
// left to commander (undefined here), which prints its usual help or error.
import { parseArgs } from 'node:util';
import type { RunGatewayOptions } from '../gateway/run-gateway.ts';
import { GATEWAY_OPTIONS, optionName } from './gateway-options.ts';

export function plainGatewayArgs(args: readonly string[]): RunGatewayOptions | undefined {
  const names = GATEWAY_OPTIONS.map((option) => ({ option, ...optionName(option) }));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(names.map((n) => [n.long, { type: n.takesValue ? 'string' : 'boolean' }])),
    }));
  } catch {
    return undefined;
  }
  const out: Record<string, string | boolean> = {};
  for (const { option, long, key } of names) {
    const value = values[long] ?? option.default;
    if (value !== undefined) out[key] = value;
  }
  return out as RunGatewayOptions;
}
