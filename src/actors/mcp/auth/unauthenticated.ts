// `unauthenticated`: public remotes get no credential at all (RFC: no forced auth on public remotes).
import type { OutgoingAuth } from './types.ts';

export function unauthenticated(): OutgoingAuth {
  return { method: 'unauthenticated', headers: async () => ({}) };
}
