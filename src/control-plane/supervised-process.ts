// Child processes that cannot outlive us. Each binary runs under a small bash guardian in its own process group:
// the guardian forwards SIGTERM, and if our process dies without stopping it (SIGKILL, a crashed test worker),
// it notices within half a second, stops the binary (TERM, then KILL after 5 s) and removes its scratch dirs.
// Tests can freeze the binary (SIGSTOP to it alone, so its guardian keeps watching us) and thaw it again.
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';

const GUARDIAN = `
parent="$1"; logf="$2"; shift 2
"$@" >>"$logf" 2>&1 &
child=$!
echo "$child"
trap 'kill -TERM "$child" 2>/dev/null; kill -CONT "$child" 2>/dev/null' TERM INT
while kill -0 "$child" 2>/dev/null; do
  if ! kill -0 "$parent" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null; kill -CONT "$child" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$child" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$child" 2>/dev/null
    [ -n "$MCPRE_CLEANUP_DIRS" ] && rm -rf $MCPRE_CLEANUP_DIRS
    exit 1
  fi
  sleep 0.5 & wait $!
done
wait "$child"
`;

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or null on a signal) when the guardian exits. */
  readonly exited: Promise<number | null>;
  /**
   * TERM (or `signal`), wait up to `timeoutMs`, then KILL the whole group; then remove the scratch dirs unless
   * `keepFiles` (a restart of the same binary on the same files). Idempotent.
   */
  stop(timeoutMs?: number, opts?: { signal?: 'SIGTERM' | 'SIGKILL'; keepFiles?: boolean }): Promise<void>;
  /** SIGSTOP to the binary alone: it stops answering but keeps its sockets open, like a hung process. */
  freeze(): Promise<void>;
  /** SIGCONT: the frozen binary carries on. */
  thaw(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort on a normal exit: signal every group we still own. 'exit' handlers must be synchronous.
  process.on('exit', () => {
    for (const child of live) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export function startSupervised(opts: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cleanupDirs?: string[];
}): SupervisedProcess {
  installExitHook();
  const child = spawn(
    'bash',
    ['-c', GUARDIAN, 'guardian', String(process.pid), opts.logFile, opts.command, ...opts.args],
    {
      detached: true,
      // stdout carries one line, the binary's pid (for freeze and thaw).
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, MCPRE_CLEANUP_DIRS: (opts.cleanupDirs ?? []).join(' ') },
    },
  );
  if (!child.pid) throw new Error(`could not start ${opts.name} (${opts.command})`);
  live.add(child);
  const pid = child.pid;
  const binaryPid = new Promise<number | undefined>((resolve) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.stdout?.once('close', () => resolve(undefined));
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  let stopping: Promise<void> | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone already
    }
  };
  const signalBinary = async (sig: 'SIGSTOP' | 'SIGCONT') => {
    const target = await binaryPid;
    if (!target || !live.has(child)) throw new Error(`${opts.name} is not running`);
    process.kill(target, sig);
  };
  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    exited,
    stop(timeoutMs = 20_000, stopOpts = {}) {
      stopping ??= (async () => {
        if (!live.has(child)) return;
        signalGroup(stopOpts.signal ?? 'SIGTERM');
        // A frozen binary would only act on the TERM once thawed.
        signalGroup('SIGCONT');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), timeoutMs);
        });
        if ((await Promise.race([exited, timedOut])) === 'timeout') {
          signalGroup('SIGKILL');
          await exited;
        }
        clearTimeout(timer);
        if (opts.cleanupDirs && !stopOpts.keepFiles)
          await Promise.all(opts.cleanupDirs.map((d) => rm(d, { recursive: true, force: true })));
      })();
      return stopping;
    },
    async freeze() {
      await signalBinary('SIGSTOP');
    },
    async thaw() {
      await signalBinary('SIGCONT');
    },
  };
}
