// Who is calling. Anonymous by default; with `incomingAuth.type: oidc`, a bearer JWT checked against the issuer
// (oidc-auth.ts). The validated subject becomes the client identity in audit lines and session ownership; the token
// itself is kept only for outgoing token exchange.
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { IncomingAuthConfig } from '../api/gateway/config.ts';

export type AuthOutcome =
  | { ok: true; auth: AuthInfo; subject: string }
  | { ok: false; status: 401 | 503; error: string; description: string };

export type Authenticator = (req: IncomingMessage) => Promise<AuthOutcome>;

const anonymous: AuthOutcome = {
  ok: true,
  subject: 'anonymous',
  auth: { token: '', clientId: 'anonymous', scopes: [], extra: { subject: 'anonymous' } },
};

/** The configured check; jose and undici's fetch are loaded only when tokens are checked. */
export async function createAuthenticator(
  config: IncomingAuthConfig,
  opts: { fetchTimeoutMs?: number } = {},
): Promise<Authenticator> {
  if (config.type === 'anonymous') return async () => anonymous;
  return (await import('./oidc-auth.ts')).oidcAuthenticator(config, opts);
}
