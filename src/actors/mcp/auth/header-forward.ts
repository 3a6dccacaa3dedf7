// `headerForward`: plaintext headers from the endpoint spec and headers whose values come from Secrets (resolved at
// request time). Names and plaintext values are checked when the config is loaded; secret values on every request.
import { configError } from '../errors.ts';
import { mergeHeaderSets, validateHeaderName, validateHeaderValue } from '../headers.ts';
import type { OutgoingAuth, SecretValue } from './types.ts';

export interface HeaderForwardConfig {
  addPlaintextHeaders?: Record<string, string>;
  addHeadersFromSecret?: Array<{ headerName: string; value: SecretValue }>;
}

export function headerForward(config: HeaderForwardConfig): OutgoingAuth {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.addPlaintextHeaders ?? {})) {
    plain[validateHeaderName(name, 'headerForward.addPlaintextHeaders')] = validateHeaderValue(
      name,
      value,
      'headerForward.addPlaintextHeaders',
    );
  }
  const fromSecret = (config.addHeadersFromSecret ?? []).map((entry) => ({
    headerName: entry.headerName,
    name: validateHeaderName(entry.headerName, 'headerForward.addHeadersFromSecret'),
    value: entry.value,
  }));
  const names = new Set(Object.keys(plain));
  for (const entry of fromSecret) {
    if (names.has(entry.name)) {
      throw configError(`headerForward: header "${entry.headerName}" is listed twice; list each header once`);
    }
    names.add(entry.name);
  }
  return {
    method: 'headerForward',
    headers: async () => {
      const secret: Record<string, string> = {};
      for (const entry of fromSecret) {
        secret[entry.name] = validateHeaderValue(
          entry.headerName,
          await entry.value(),
          'headerForward.addHeadersFromSecret',
        );
      }
      return mergeHeaderSets([
        { source: 'addPlaintextHeaders', headers: plain },
        { source: 'addHeadersFromSecret', headers: secret },
      ]);
    },
  };
}
