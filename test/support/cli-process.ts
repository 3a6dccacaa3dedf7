// A command as a person runs it: a child process whose output is collected, waited on for a line or for its exit,
// each wait bounded. Used by the tests of how commands start, fail and stop.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** The exit code (null after a signal); rejects after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL if still running (for afterEach). */
  kill(): void;
}

export function startCli(command: string, args: string[], options: SpawnOptions = {}): CliProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  const describe = () => `stdout:\n${out}\nstderr:\n${err}`;
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (!m) return false;
          done();
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} on stdout within ${timeoutMs} ms\n${describe()}`));
        }, timeoutMs);
        const onExit = (code: number | null) => {
          if (check()) return;
          done();
          reject(new Error(`exited (${code}) before printing ${pattern}\n${describe()}`));
        };
        const done = () => {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.off('exit', onExit);
        };
        if (check()) return;
        child.stdout?.on('data', check);
        child.once('exit', onExit);
      });
    },
    async exit(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms\n${describe()}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (running()) child.kill('SIGKILL');
    },
  };
}
