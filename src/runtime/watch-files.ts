// Noticing that files changed in place, for secrets mounted from Kubernetes Secrets. The kubelet updates such a
// volume by writing a new timestamped directory and swapping the `..data` symlink to it; the path the config names
// (`<mount>/<key>`, itself a symlink into `..data`) stays the same while the file behind it is a new one. So a check
// stats every path (following the symlinks) and compares what identifies the content (device, inode, size, mtime,
// ctime) with the previous check; a file that appeared, disappeared or changed is reported.
//
// Checks run every `intervalMs` on the injected clock, and soon after the kernel reports a change in one of the
// directories (fs.watch; best effort: a directory that cannot be watched is only polled). A check never overlaps
// another one, each stats a fixed set of paths, and at most one timer of each kind is pending.
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { stat as fsStat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RuntimeClock } from './clock.ts';

export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface WatchFilesOptions {
  paths: readonly string[];
  clock: RuntimeClock;
  /** How often every path is checked, whatever the kernel reports. */
  intervalMs: number;
  /** Called after a check found changes, with the paths that changed; not called for the first check. */
  onChange: (changed: string[]) => void;
  /** How long after a directory event to check (the kubelet's swap is several renames). Default 100 ms. */
  settleMs?: number;
  stat?: (path: string) => Promise<FileIdentity>;
  /** Directory notifications; null polls only. Defaults to fs.watch (not keeping the process alive). */
  watchDir?: ((dir: string, onEvent: () => void) => { close(): void }) | null;
  /** Why a directory is only polled (it cannot be watched). */
  onWatchError?: (dir: string, err: unknown) => void;
}

export interface FileWatch {
  /** Resolves once the first check recorded how every path looks now. */
  ready: Promise<void>;
  /** Check now (after the running check, if one is running); resolves with the paths that changed. */
  check(): Promise<string[]>;
  stop(): void;
}

const defaultWatchDir = (dir: string, onEvent: () => void): { close(): void } => {
  const watcher: FSWatcher = fsWatch(dir, { persistent: false }, onEvent);
  return watcher;
};

export function watchFiles(opts: WatchFilesOptions): FileWatch {
  const { clock, intervalMs } = opts;
  const paths = [...new Set(opts.paths)];
  const stat = opts.stat ?? ((path: string) => fsStat(path));
  const settleMs = opts.settleMs ?? 100;
  let last = new Map<string, string>();
  let stopped = false;
  let pollTimer: unknown;
  let settleTimer: unknown;
  let running: Promise<string[]> = Promise.resolve([]);

  const identity = async (path: string): Promise<string> => {
    try {
      const s = await stat(path);
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch (err) {
      return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  };

  const runCheck = async (first: boolean): Promise<string[]> => {
    const now = new Map<string, string>();
    for (const path of paths) now.set(path, await identity(path));
    const changed = first ? [] : paths.filter((p) => now.get(p) !== last.get(p));
    last = now;
    if (changed.length > 0 && !stopped) opts.onChange(changed);
    return changed;
  };

  const check = (first = false): Promise<string[]> => {
    running = running.then(
      () => runCheck(first),
      () => runCheck(first),
    );
    return running;
  };

  const schedulePoll = () => {
    if (stopped) return;
    pollTimer = clock.setTimeout(() => {
      void check().finally(schedulePoll);
    }, intervalMs);
  };

  const onDirEvent = () => {
    if (stopped || settleTimer !== undefined) return;
    settleTimer = clock.setTimeout(() => {
      settleTimer = undefined;
      void check();
    }, settleMs);
  };

  const watchers: Array<{ close(): void }> = [];
  const watchDir = opts.watchDir === undefined ? defaultWatchDir : opts.watchDir;
  if (watchDir) {
    for (const dir of new Set(paths.map((p) => dirname(p)))) {
      try {
        const w = watchDir(dir, onDirEvent);
        // fs.watch reports later failures (the directory removed) as events: fall back to polling only.
        (w as Partial<FSWatcher>).on?.('error', (err: unknown) => {
          w.close();
          opts.onWatchError?.(dir, err);
        });
        watchers.push(w);
      } catch (err) {
        opts.onWatchError?.(dir, err);
      }
    }
  }

  const ready = check(true).then(() => {
    schedulePoll();
  });

  return {
    ready,
    check: () => check(),
    stop: () => {
      stopped = true;
      if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
      if (settleTimer !== undefined) clock.clearTimeout(settleTimer);
      for (const w of watchers) w.close();
    },
  };
}
