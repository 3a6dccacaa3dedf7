// The auth method and headerForward together: their headers are merged per request, and one header set by both is a
// configuration error rather than a silent override.
import { mergeHeaderSets } from '../headers.ts';
import type { OutgoingAuth } from './types.ts';

export function composeAuth(parts: OutgoingAuth[]): OutgoingAuth {
  if (parts.length === 1 && parts[0]) return parts[0];
  return {
    method: 'composite',
    headers: async (signal) => {
      const sets = await Promise.all(parts.map(async (p) => ({ source: p.method, headers: await p.headers(signal) })));
      return mergeHeaderSets(sets);
    },
  };
}
