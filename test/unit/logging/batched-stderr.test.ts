// The gateway's batched stderr: a lone line still goes out within the batch time (no second line needed to push it),
// also when it came while a slow write was running; a process with nothing to log holds no timer that wakes it; what
// is pending is written at exit, and so is what is logged while exiting, but a write still in flight does not hold up
// the exit; a full non-blocking stderr is written once it has room; a stderr nobody reads costs bounded memory (lines
// beyond are dropped and counted); a closed stderr stops the writing, not the process; loggers of one process share
// the destination of a descriptor.
import { afterEach, expect, it } from 'vitest';
import { batchedStderr } from '../../../src/runtime/batched-stderr.ts';
import { type RunningChild, spawnChild } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';

let child: RunningChild | undefined;
afterEach(async () => {
  await child?.stop();
  child = undefined;
});

it('writes a lone line within the batch time, and arms no timer before there is a line', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-child.ts']);
  await child.waitForStdout(/timers after a line: \d+/);
  expect(child.stdout()).toContain('timers before a line: 0\n');
  expect(child.stdout()).toContain('timers after a line: 1\n');
  await until('the line on stderr', () => child?.stderr().includes('the only line') ?? false, { timeoutMs: 5_000 });
});

it('writes a short line that arrived while a slow write of a full batch was running', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-slow-child.ts']);
  await until('the short line on stderr', () => child?.stderr().includes('the short line') ?? false, {
    timeoutMs: 5_000,
  });
  expect(child.stderr().indexOf('a full batch')).toBeLessThan(child.stderr().indexOf('the short line'));
});

const BEFORE_EXIT = '{"msg":"line 0 before exit"}\n{"msg":"line 1 before exit"}\n{"msg":"line 2 before exit"}\n';

it('writes the lines still collected when the process exits', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-exit-child.ts', 'pending']);
  expect(await child.exited).toBe(3);
  expect(child.stderr()).toBe(BEFORE_EXIT);
});

it('writes a line logged by a later exit listener, after the collected ones', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-exit-child.ts', 'late']);
  expect(await child.exited).toBe(3);
  expect(child.stderr()).toBe(`${BEFORE_EXIT}{"msg":"logged while exiting"}\n`);
});

it('exits without waiting for, repeating or writing past a batch still being written', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-exit-child.ts', 'in-flight']);
  expect(await child.exited).toBe(4);
  expect(child.stderr()).toBe('');
});

it('writes a batch again, once, after stderr answered EAGAIN', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-eagain-child.ts']);
  await until('the line on stderr', () => child?.stderr().includes('written after EAGAIN') ?? false, {
    timeoutMs: 5_000,
  });
  await child.stop();
  expect(child.stderr().split('written after EAGAIN').length).toBe(2);
});

it('gives every logger of a process the same destination for a descriptor', () => {
  expect(batchedStderr()).toBe(batchedStderr(2));
  expect(batchedStderr(1)).not.toBe(batchedStderr(2));
});

it('holds a bounded amount for a stderr nobody reads, and reports the lines it dropped once it can write', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-stalled-child.ts']);
  child.child.stderr?.pause();
  const [wrote] = await child.waitForStdout(/wrote (\d+) lines/, 20_000);
  const written = Number(/wrote (\d+)/.exec(wrote)?.[1]);
  child.child.stderr?.resume();
  await until('the dropped lines reported', () => child?.stderr().includes('"msg":"log lines dropped"') ?? false, {
    timeoutMs: 10_000,
  });
  const lines = child.stderr().trimEnd().split('\n');
  const report = JSON.parse(lines.find((l) => l.includes('log lines dropped')) as string);
  const numbers = lines.filter((l) => l.startsWith('{"n":')).map((l) => JSON.parse(l).n as number);
  expect(report).toMatchObject({ level: 40, component: 'logging', reason: 'stderr not keeping up' });
  expect(report.dropped).toBeGreaterThan(0);
  // Every line is either written once, in order, or counted as dropped; none is cut or repeated.
  expect(numbers.length + report.dropped).toBe(written);
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  expect(new Set(numbers).size).toBe(numbers.length);
});

it('counts the dropped lines a lost batch reported in the report that follows it', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-lost-report-child.ts']);
  await child.waitForStdout(/wrote \d+ lines/, 20_000);
  const written = Number(/wrote (\d+)/.exec(child.stdout())?.[1]);
  await until('the report after the failure', () => child?.stderr().includes('"msg":"log lines dropped"') ?? false, {
    timeoutMs: 10_000,
  });
  const lines = child.stderr().trimEnd().split('\n');
  const reports = lines.filter((l) => l.includes('log lines dropped')).map((l) => JSON.parse(l));
  const numbered = lines.filter((l) => l.startsWith('{"n":')).length;
  expect(reports).toHaveLength(1);
  expect(reports[0]).toMatchObject({ reason: 'EIO' });
  expect(numbered + reports[0].dropped).toBe(written);
  expect(lines.at(-2)).toBe('{"msg":"after the failure"}');
});

it.each([
  // The first 10 bytes of the batch got out: one whole line and the start of the next; the two lines lost are reported.
  ['starts the lines after a batch cut off by a failed write on a line of their own', [], 'after the failure', 2],
  // Lost: the cut line, the third, and the line after the first failure (the first report is counted in the second).
  [
    'keeps a cut line cut, and counts only real lines as lost, when the batch that was to end it fails too',
    ['twice'],
    'after the second failure',
    3,
  ],
] as const)('%s', async (_what, args, next, dropped) => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-cut-line-child.ts', ...args]);
  await until('the report of the lost lines', () => child?.stderr().includes('log lines dropped') ?? false, {
    timeoutMs: 10_000,
  });
  const lines = child.stderr().trimEnd().split('\n');
  expect(lines.slice(0, 3)).toEqual(['{"n":0}', '{"', `{"msg":"${next}"}`]);
  expect(JSON.parse(lines[3]!)).toMatchObject({ msg: 'log lines dropped', reason: 'EIO', dropped });
  expect(lines).toHaveLength(4);
});

it('stops writing when nobody reads stderr any more (EPIPE), and keeps running', async () => {
  child = spawnChild(process.execPath, ['test/fixtures/logging/batched-stderr-closed-child.ts']);
  await child.waitForStdout(/ready/);
  child.child.stderr?.destroy();
  child.child.kill('SIGUSR2');
  await child.waitForStdout(/failed with \w+; writes tried after: \d+/);
  expect(child.stdout()).toContain('failed with EPIPE; writes tried after: 0\n');
  expect(child.child.exitCode).toBeNull();
});
