// The session store's TLS files (CA, client certificate and key) read for a connection and watched for a renewal.
// A change is read and checked as at start (redis-tls.ts): usable files are handed on with their texts, so that the
// connection can tell a new certificate from a file rewritten as it was; a problem is reported when it is a new one,
// and unusable files are looked at again every poll, since a certificate not valid yet becomes valid by time alone.
import { readFileSync } from 'node:fs';
import type { SessionStoreAddress } from '../api/gateway/session-store.ts';
import type { RuntimeClock } from './clock.ts';
import { type RedisTlsFiles, type RedisTlsSocket, redisTlsOptions } from './redis-tls.ts';
import { watchFiles } from './watch-files.ts';

/** The TLS options made from the files (or why there can be none), and the text of every file read for them. */
export interface RedisTlsReading {
  tls: { socket: RedisTlsSocket | undefined } | { problem: string };
  texts: ReadonlyMap<string, string>;
}

export function readRedisTls(address: SessionStoreAddress, files: RedisTlsFiles): RedisTlsReading {
  const texts = new Map<string, string>();
  const tls = redisTlsOptions(address, files, (path) => {
    const text = readFileSync(path, 'utf8');
    texts.set(path, text);
    return text;
  });
  return { tls, texts };
}

/** Whether two readings read the same files with the same content. */
export function sameTexts(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([path, text]) => b.get(path) === text);
}

export interface RedisTlsWatchOptions {
  address: SessionStoreAddress;
  files: RedisTlsFiles;
  clock: RuntimeClock;
  /** How often the files are checked (and unusable ones read again). */
  intervalMs: number;
  /** Usable files, possibly the same as before. */
  onUsable: (reading: RedisTlsReading & { tls: { socket: RedisTlsSocket | undefined } }) => void;
  /** Files that cannot be used, each problem once until files are usable again. */
  onProblem: (problem: string) => void;
}

/** Undefined when there is nothing to watch: no TLS, or no file named. */
export function watchRedisTls(opts: RedisTlsWatchOptions): { stop(): void } | undefined {
  const { clientCert, caFile } = opts.files;
  const paths = [caFile, clientCert?.certFile, clientCert?.keyFile].filter((f): f is string => f !== undefined);
  if (!opts.address.tls || paths.length === 0) return undefined;
  let stopped = false;
  let lastProblem: string | undefined;
  let retry: unknown;
  const check = () => {
    if (stopped) return;
    if (retry !== undefined) opts.clock.clearTimeout(retry);
    retry = undefined;
    const reading = readRedisTls(opts.address, opts.files);
    const { tls } = reading;
    if ('problem' in tls) {
      if (tls.problem !== lastProblem) opts.onProblem(tls.problem);
      lastProblem = tls.problem;
      retry = opts.clock.setTimeout(check, opts.intervalMs);
      return;
    }
    lastProblem = undefined;
    opts.onUsable({ tls, texts: reading.texts });
  };
  const watch = watchFiles({ paths, clock: opts.clock, intervalMs: opts.intervalMs, onChange: check });
  // A change between the connection's first read and the watch's first look would otherwise go unseen.
  void watch.ready.then(check);
  return {
    stop() {
      stopped = true;
      watch.stop();
      if (retry !== undefined) opts.clock.clearTimeout(retry);
    },
  };
}
