// Where the gateway keeps client sessions: absent means in this process's memory (one replica), `sessionStore` means a
// Redis server shared by every replica. The URL names the server only; the password never appears in the config file
// (which the operator writes into a ConfigMap): it comes from a file or from MCPRE_SESSION_STORE_PASSWORD, which the
// operator fills from a Secret.
import { z } from '../schema.ts';

/** The environment variable that carries the store's password (the operator sets it from a Secret key). */
export const sessionStorePasswordEnv = 'MCPRE_SESSION_STORE_PASSWORD';

/** The largest Redis database index accepted (Redis's `databases` setting is a C int). */
const maxDb = 2_147_483_647;

export interface SessionStoreAddress {
  /** `rediss` (TLS) or not. */
  tls: boolean;
  /** Host name or IP address (an IPv6 address without brackets). */
  host: string;
  port: number;
  /** Redis logical database, 0 unless the URL names one. */
  db: number;
}

const passwordAdvice =
  'put the password in a Secret (VirtualMCPServer spec.sessionStorage.passwordRef) or a file ' +
  `(sessionStore.passwordFile, --session-store-password-file) or ${sessionStorePasswordEnv}, never in the URL`;

/**
 * The one rule for a session store URL, `redis://HOST:PORT[/DB]` or `rediss://HOST:PORT[/DB]`: the address, or why
 * the text is not one (a sentence fragment that follows "the session store URL").
 */
export function parseSessionStoreUrl(text: string): { address: SessionStoreAddress } | { problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not echoed: text that does not parse may still hold a password.
    return { problem: 'is not a URL (or its port is out of range); expected redis://HOST:PORT[/DB] or rediss://...' };
  }
  // Checked before anything is echoed back, so no message repeats the password.
  if (url.password !== '' || url.username !== '') return { problem: `may not carry credentials: ${passwordAdvice}` };
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    return { problem: `has scheme "${url.protocol.slice(0, -1)}"; expected redis or rediss` };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') return { problem: 'has no host; expected redis://HOST:PORT[/DB]' };
  if (url.port === '') return { problem: 'has no port; write it out, e.g. redis://HOST:6379' };
  const port = Number(url.port);
  if (port < 1) return { problem: 'has port 0; expected 1-65535' };
  if (url.search !== '' || url.hash !== '') return { problem: 'may not have a query or fragment' };
  const path = url.pathname;
  if (path !== '' && path !== '/' && !/^\/\d{1,10}$/.test(path))
    return { problem: `has path "${path.slice(0, 40)}"; the only path allowed is a database number, e.g. /0` };
  const db = path.length > 1 ? Number(path.slice(1)) : 0;
  if (db > maxDb) return { problem: `names database ${db}; the largest is ${maxDb}` };
  return { address: { tls: url.protocol === 'rediss:', host, port, db } };
}

/** The URL for an address: what the operator writes from a VirtualMCPServer's `host:port` and database number. */
export function sessionStoreUrl(address: SessionStoreAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.tls ? 'rediss' : 'redis'}://${host}:${address.port}${address.db === 0 ? '' : `/${address.db}`}`;
}

/** The URL field of the config's `sessionStore` (config.ts). */
export const sessionStoreUrlSchema = z.string().superRefine((value, ctx) => {
  const parsed = parseSessionStoreUrl(value);
  if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: `the session store URL ${parsed.problem}` });
});
