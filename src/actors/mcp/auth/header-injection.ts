// `headerInjection`: one header whose value comes from a Secret, read at request time.
import { validateHeaderName, validateHeaderValue } from '../headers.ts';
import type { OutgoingAuth, SecretValue } from './types.ts';

export interface HeaderInjectionConfig {
  headerName: string;
  value: SecretValue;
}

export function headerInjection(config: HeaderInjectionConfig): OutgoingAuth {
  const source = 'headerInjection';
  const name = validateHeaderName(config.headerName, source);
  return {
    method: 'headerInjection',
    headers: async () => ({ [name]: validateHeaderValue(config.headerName, await config.value(), source) }),
  };
}
