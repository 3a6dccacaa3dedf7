// A Secret or ConfigMap volume laid out the way the kubelet writes it (its AtomicWriter), for tests that read mounted
// files as a pod does. The payload goes into a new hidden timestamped directory; `..data` is pointed at it with one
// rename (the atomic swap); every key is a symlink `<key> -> ..data/<key>`; the previous directory is then removed.
// An update writes the whole payload again the same way, so a reader sees the old or the new files, never a mix.
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from './eventually.ts';

let generation = 0;

export async function writeAtomicVolume(dir: string, payload: Record<string, string>, mode = 0o440): Promise<void> {
  await mkdir(dir, { recursive: true });
  // The kubelet's name: `..` and a timestamp (here with a counter, as two writes may share a millisecond).
  generation += 1;
  const stamp = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${generation}`;
  await mkdir(join(dir, stamp));
  for (const [key, content] of Object.entries(payload)) await writeFile(join(dir, stamp, key), content, { mode });
  const previous = await readlink(join(dir, '..data')).catch(() => undefined);
  await rm(join(dir, '..data_tmp'), { force: true });
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const key of Object.keys(payload)) {
    const exists = await lstat(join(dir, key)).then(
      () => true,
      () => false,
    );
    if (!exists) await symlink(join('..data', key), join(dir, key));
  }
  // Keys no longer in the payload lose their links.
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith('..') && !(entry in payload)) await rm(join(dir, entry), { force: true });
  }
  if (previous && previous !== stamp) await rm(join(dir, previous), { recursive: true, force: true });
}

/**
 * After a volume swap: call through the gateway until the backend reports the rotated value, within the minute a
 * rotation may take. Returns how long it took; a timeout says what the gateway printed.
 */
export async function waitForRotatedValue(opts: {
  what: string;
  call: () => Promise<unknown>;
  seen: () => boolean;
  output: () => string | undefined;
}): Promise<number> {
  const swappedAt = Date.now();
  await eventually(
    opts.what,
    async () => {
      await opts.call();
      return opts.seen() ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  ).catch((err) => {
    throw new Error(`${err}\n${opts.output()}`);
  });
  const tookMs = Date.now() - swappedAt;
  if (process.env.MCPRE_TEST_LOG) process.stderr.write(`${opts.what}: seen by the backend after ${tookMs} ms\n`);
  return tookMs;
}
