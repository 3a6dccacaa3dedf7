// Shared by the session benchmarks: a fixture in its own process (so its memory is not counted as ours), controlled
// over HTTP, plus RSS readings. The default is the fault fixture (2025 era); bench/modern-echo-server.ts is the
// 2026-07-28 one.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface FixtureProcess {
  url: string;
  pid: number;
  control(name: string, ...args: unknown[]): Promise<unknown>;
  stop(): Promise<void>;
}

const faultMain = fileURLToPath(new URL('../test/fixtures/mcp/fault-server-main.ts', import.meta.url));
export const modernMain = fileURLToPath(new URL('./modern-echo-server.ts', import.meta.url));

/** Run `main` (a fixture that prints `MCPRE_FIXTURE_URL <url>` and serves `/__control/<name>`) with `options`. */
export async function startFixtureProcess(options: object = {}, main = faultMain): Promise<FixtureProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--max-old-space-size=8192', main, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fixture did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /MCPRE_FIXTURE_URL (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${out}`)));
  });
  child.stdout?.resume();
  const origin = new URL(url).origin;
  return {
    url,
    pid: child.pid as number,
    async control(name, ...args) {
      const res = await fetch(`${origin}/__control/${name}`, { method: 'POST', body: JSON.stringify(args) });
      const body = (await res.json()) as { result?: unknown; error?: string };
      if (!res.ok) throw new Error(`control ${name}: ${body.error}`);
      return body.result;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ): 100 on every Linux this runs on. */
export const TICKS_PER_SECOND = 100;

/** CPU time a process has used in user space and in the kernel, in clock ticks (TICKS_PER_SECOND), from /proc/<pid>/stat. */
export function cpuTimes(pid: number): { user: number; kernel: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), kernel: Number(fields[12]) };
}

/** CPU time a process has used, in clock ticks (TICKS_PER_SECOND). */
export function cpuTicks(pid: number): number {
  const { user, kernel } = cpuTimes(pid);
  return user + kernel;
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

let gcFn: (() => void) | undefined;
/** Full GC before a memory reading; works with or without --expose-gc. */
export function settleGc(): void {
  if (!gcFn) {
    gcFn = (globalThis as { gc?: () => void }).gc;
    if (!gcFn) {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** The q-quantile (0..1) of xs by the nearest rank below; NaN for no values. */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function table(rows: Array<Record<string, string | number>>): string {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(width[i] as number)).join('  ');
  return [
    line(cols),
    line(width.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => String(r[c])))),
  ].join('\n');
}
