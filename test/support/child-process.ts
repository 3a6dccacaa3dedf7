// Child processes of the tests (`mcpre` commands and other programs) with their output collected, a wait for what
// they print that is bounded and fails with their output, and a stop that escalates from SIGTERM to SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { finished } from 'node:stream/promises';
import { REPO_ROOT } from './control-plane.ts';
import { until } from './eventually.ts';

/** How long after its exit a child's output may still be arriving before `exited` resolves without the rest. */
const OUTPUT_END_BOUND_MS = 2_000;

export interface RunningChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when a signal ended it) once the process is gone. */
  exited: Promise<number | null>;
  /** The first match of `pattern` in stdout; fails, with the output, when the process exits first or after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  /** The repository root unless given. */
  cwd?: string;
  /** This process's environment unless given. */
  env?: NodeJS.ProcessEnv;
}

export function spawnChild(command: string, args: string[], opts: SpawnOptions = {}): RunningChild {
  const child = spawn(command, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let gone = false;
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      stderr += String(err);
      gone = true;
      resolve(null);
    });
    child.once('exit', (code) => {
      gone = true;
      // 'exit' can come before the last of the output: wait until both pipes are read to their end, bounded, since a
      // process the child left behind may hold them open ('close' would wait for it).
      const ends = [child.stdout, child.stderr].map((s) => (s ? finished(s).catch(() => {}) : undefined));
      let bound: NodeJS.Timeout | undefined;
      const outlived = new Promise<void>((r) => {
        bound = setTimeout(r, OUTPUT_END_BOUND_MS);
      });
      void Promise.race([Promise.all(ends), outlived]).then(() => {
        clearTimeout(bound);
        resolve(code);
      });
    });
  });
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStdout(pattern, timeoutMs = 20_000) {
      return new Promise<RegExpExecArray>((resolve, reject) => {
        let settled = false;
        const finish = (outcome: RegExpExecArray | Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          child.stdout?.off('data', check);
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        };
        const check = () => {
          const m = pattern.exec(stdout);
          if (m) finish(m);
        };
        const timer = setTimeout(
          () => finish(new Error(`${pattern} not printed within ${timeoutMs} ms\n${output()}`)),
          timeoutMs,
        );
        child.stdout?.on('data', check);
        void exited.then((code) => {
          // The last output may arrive with the exit: look once more before giving up.
          check();
          finish(new Error(`exited (${code}) before printing ${pattern}\n${output()}`));
        });
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (gone) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `node src/cli.ts ARGS` from the repository root, with the Node that runs the tests. */
export function spawnMcpre(args: string[], env?: NodeJS.ProcessEnv): RunningChild {
  return spawnChild(process.execPath, ['src/cli.ts', ...args], { env });
}

/** Runs a command to its end (SIGKILL after `timeoutMs`) and returns its exit code and output. */
export async function runToEnd(
  command: string,
  args: string[],
  opts: SpawnOptions & { timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnChild(command, args, opts);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    p.child.kill('SIGKILL');
  }, timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  if (timedOut)
    throw new Error(`${command} ${args.join(' ')} did not end within ${timeoutMs} ms\n${p.stdout()}\n${p.stderr()}`);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The URL a gateway prints once it listens (`serving MCP at URL`). */
export async function servingUrl(p: RunningChild, timeoutMs = 20_000): Promise<URL> {
  const m = await p.waitForStdout(/serving MCP at (\S+)/, timeoutMs);
  return new URL(m[1] as string);
}

/** Waits until `/readyz` next to `url` answers 200 (a gateway with its backends, and its Lease if it has one). */
export async function waitForReadyz(url: URL, p?: RunningChild, timeoutMs = 20_000): Promise<void> {
  const exited = () => p !== undefined && (p.child.exitCode !== null || p.child.signalCode !== null);
  await until(
    `${new URL('/readyz', url)} to answer 200`,
    async () => {
      if (exited()) return true;
      const res = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.status === 200;
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}${p ? `\n${p.stderr()}` : ''}`);
  });
  if (exited()) throw new Error(`the process exited before it was ready\n${p?.stderr()}`);
}

/**
 * Whether something holds a loopback port: it accepts a connection, or the connect hangs for a second (a listener
 * whose backlog is full). A refused connect is the only "no".
 */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
