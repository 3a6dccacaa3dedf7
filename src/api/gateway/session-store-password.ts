// The session store's password: read from a file (`--session-store-password-file`, the config's `passwordFile`, a
// mounted Secret key) or from MCPRE_SESSION_STORE_PASSWORD, which the operator fills from a Secret. Never a URL part or
// a command-line value, so it cannot reach a process listing, a ConfigMap or a log line.
import { sessionStorePasswordEnv } from './session-store.ts';

/**
 * The file's content (one trailing newline removed) when a file is named, else the environment variable, else none.
 * An empty file is an error: a mounted Secret key without its value.
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
  const fromEnv = opts.env[sessionStorePasswordEnv];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}
