import { closeSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { replayLog } from './replay.ts';
import { parseDuration, runSimulation, type SimOptions, type SimResult } from './simulation.ts';

export interface SimCommandOptions {
  seed: string;
  duration: string;
  endpoints: string;
  backends: string;
  modernShare?: string;
  faults: string;
  record?: string;
  replay?: string;
  injectBug?: string;
}

function int(name: string, v: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function share(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(v.trim() !== '' && n >= 0 && n <= 1)) throw new Error(`--modern-share must be a number in [0, 1], got "${v}"`);
  return n;
}

export async function runSimCommand(o: SimCommandOptions): Promise<number> {
  if (o.replay) {
    const r = await replayLog(o.replay);
    if (r.identical) {
      process.stdout.write(`replay of ${o.replay}: identical (${r.lines} lines)\n`);
      return 0;
    }
    process.stdout.write(
      `replay of ${o.replay}: diverges at seq ${r.divergesAt}\n  recorded: ${r.expected ?? '(end of log)'}\n  replayed: ${r.actual ?? '(end of log)'}\n`,
    );
    return 1;
  }
  // Every argument is checked before the record file is touched.
  const options: SimOptions = {
    seed: int('seed', o.seed),
    durationMs: parseDuration(o.duration),
    endpoints: int('endpoints', o.endpoints),
    backends: int('backends', o.backends),
    modernShare: share(o.modernShare),
    faults: o.faults,
    injectBug: o.injectBug === 'status' || o.injectBug === 'session' ? o.injectBug : false,
  };
  const started = performance.now();
  const record = o.record ? recordTo(o.record) : undefined;
  let result: SimResult;
  try {
    result = await runSimulation({
      ...options,
      logOutput: { keep: false, ...(record ? { onLine: record.line } : {}) },
    });
  } catch (err) {
    record?.discard();
    throw err;
  }
  record?.commit();
  const wallMs = performance.now() - started;
  const speed = result.simulatedMs / Math.max(1, wallMs);
  process.stdout.write(
    `mcpre sim seed ${result.seed}: ${result.ok ? 'all invariants held' : 'INVARIANT VIOLATED'}\n` +
      `  ${result.steps} steps, ${(result.simulatedMs / 1000).toFixed(0)} simulated s in ${(wallMs / 1000).toFixed(1)} wall s ` +
      `(${speed.toFixed(0)} simulated s per wall s)\n` +
      `  endpoints Ready ${result.endpointsReady}/${result.endpointsTotal}; VirtualMCPServers Ready ${result.vmcpsReady}/${result.vmcpsTotal}; ` +
      `${result.log.size} log events` +
      `${o.record ? ` written to ${o.record}` : ''}\n` +
      `  api: ${Object.entries(result.apiStats)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}\n`,
  );
  if (result.ok) return 0;
  process.stdout.write(`  first violation at step ${result.failedAtStep}:\n`);
  for (const v of result.violations.slice(0, 10)) process.stdout.write(`    ${v.invariant}: ${v.detail}\n`);
  process.stdout.write(
    `  reproduce: mcpre sim --seed ${result.seed} --duration ${o.duration} --endpoints ${o.endpoints} --backends ${o.backends}${o.modernShare ? ` --modern-share ${o.modernShare}` : ''} --faults ${o.faults}${o.injectBug ? ` --inject-bug ${o.injectBug}` : ''}\n`,
  );
  return 1;
}

/**
 * The log written as it is made, in chunks of about 256 KiB, rather than held whole until the end. It goes to
 * `<path>.partial`, renamed to `path` once the run has ended: a run that throws leaves no log that looks complete, and
 * an existing file is replaced only by a whole one. A write error ends the writing; it is thrown at `commit`.
 */
function recordTo(path: string): { line(line: string): void; commit(): void; discard(): void } {
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  let pending: string[] = [];
  let size = 0;
  let failed: unknown;
  const flush = () => {
    if (pending.length === 0 || failed !== undefined) return;
    try {
      writeFileSync(fd, `${pending.join('\n')}\n`);
    } catch (err) {
      failed = err;
    }
    pending = [];
    size = 0;
  };
  const discard = () => {
    closeSync(fd);
    rmSync(partial, { force: true });
  };
  return {
    line(line) {
      pending.push(line);
      size += line.length + 1;
      if (size >= 256 * 1024) flush();
    },
    commit() {
      flush();
      if (failed !== undefined) {
        discard();
        throw new Error(`--record ${path}: writing the log failed: ${(failed as Error).message}`);
      }
      closeSync(fd);
      renameSync(partial, path);
    },
    discard,
  };
}
