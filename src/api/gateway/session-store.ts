// Where a gateway keeps its client sessions: in its own memory (the default) or in Redis, given as
// `redis://HOST:PORT[/DB]` or `rediss://HOST:PORT[/DB]` (TLS). The password never travels in the URL: it comes from a
// file (`--session-store-password-file`, the config's `passwordFile`) or the environment (MCPRE_SESSION_STORE_PASSWORD,
// which the operator fills from a Secret), so it cannot reach a command line, a ConfigMap or a log line.

export const SESSION_STORE_PASSWORD_ENV = 'MCPRE_SESSION_STORE_PASSWORD';

export interface SessionStoreTarget {
  /** The URL as given, normalized (no trailing slash, the database only when not 0). */
  url: string;
  tls: boolean;
  host: string;
  port: number;
  database: number;
}

/** Parses a session store URL; throws an Error whose message names the problem and the expected form. */
export function parseSessionStoreUrl(text: string): SessionStoreTarget {
  const form = 'expected redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]';
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`session store ${JSON.stringify(text)} is not a URL: ${form}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`session store URL scheme ${JSON.stringify(u.protocol)} is not supported: ${form}`);
  if (u.username || u.password)
    throw new Error(
      'session store URL must not carry credentials: give the password in a file (--session-store-password-file, ' +
        `passwordFile) or in ${SESSION_STORE_PASSWORD_ENV}`,
    );
  if (!u.hostname) throw new Error(`session store URL ${JSON.stringify(text)} names no host: ${form}`);
  if (u.search || u.hash) throw new Error(`session store URL takes no query or fragment: ${form}`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db))
    throw new Error(`session store database ${JSON.stringify(db)} is not a number: ${form}`);
  const database = db === '' ? 0 : Number(db);
  const port = u.port === '' ? 6379 : Number(u.port);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${u.protocol}//${hostPart}:${port}${database === 0 ? '' : `/${database}`}`,
    tls: u.protocol === 'rediss:',
    host,
    port,
    database,
  };
}

/**
 * The store's password: the file's content (one trailing newline removed) when a file is named, else the environment
 * variable, else none. An empty file is an error (a mounted Secret key that is missing its value).
 */
export function sessionStorePassword(opts: {
  file?: string;
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}): string | undefined {
  if (opts.file) {
    let text: string;
    try {
      text = opts.readFile(opts.file);
    } catch (err) {
      throw new Error(
        `cannot read the session store password file ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new Error(`the session store password file ${opts.file} is empty`);
    return password;
  }
  const fromEnv = opts.env[SESSION_STORE_PASSWORD_ENV];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}
