// Binding a listening socket, and the one line a person can act on when that fails. Every listener of the CLI (the
// gateway, `mcpre up`, the operator's metrics port) binds through here, so a busy port never shows as a stack trace
// or, worse, as a process that keeps running without serving.
import type { Server } from 'node:net';

/** A bind that failed: `message` names the port and the address, the command adds what to do about it. */
export class ListenError extends Error {
  readonly code: string | undefined;
  readonly port: number;
  readonly host: string;

  constructor(cause: NodeJS.ErrnoException, port: number, host: string) {
    super(describe(cause, port, host), { cause });
    this.name = 'ListenError';
    this.code = cause.code;
    this.port = port;
    this.host = host;
  }
}

function describe(err: NodeJS.ErrnoException, port: number, host: string): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is in use`;
    case 'EACCES':
      return `port ${port} on ${host} is not allowed for this user (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `address ${host} (port ${port}) is not an address of this machine`;
    default:
      return `cannot listen on port ${port} on ${host}: ${err.code ?? err.message}`;
  }
}

/** Listens, or rejects with a ListenError and leaves the server closed. */
export function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.close();
      reject(new ListenError(err, port, host));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * The command's one-line answer to a failed bind: what is wrong and what to do, e.g. "port 4483 on 127.0.0.1 is in
 * use (another mcpre up?); stop it or pass --port N (0 picks a free port)". Other errors pass through unchanged.
 */
export function explainListenError(
  err: unknown,
  how: { portOption: string; addressOption?: string; likelyOwner?: string },
): unknown {
  if (!(err instanceof ListenError)) return err;
  let advice: string;
  if (err.code === 'EADDRINUSE') {
    const owner = how.likelyOwner ? ` (${how.likelyOwner})` : '';
    advice = `${owner}; stop it or pass ${how.portOption} (0 picks a free port)`;
  } else if (err.code === 'EADDRNOTAVAIL' && how.addressOption) advice = `; pass another ${how.addressOption}`;
  else advice = `; pass another ${how.portOption}`;
  const explained = new Error(`${err.message}${advice}`, { cause: err });
  explained.name = 'ListenError';
  return explained;
}
