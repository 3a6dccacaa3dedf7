// The gateway's batched stderr: a lone line still goes out within the batch time (no second line needed to push it),
// also when it came while a slow write was running, and a process with nothing to log holds no timer that wakes it.
import { afterEach, expect, it } from 'vitest';
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
