// The setup scripts' cache under interruption and concurrency, with a stand-in `go` on PATH (the real builds take
// minutes): it writes half a binary, records where it builds, waits as long as the test says, then finishes the file.
// What is checked is the scripts' own logic: a private build directory, one rename into place, a lock in the cache,
// and SIGTERM stopping the build at once.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';

const scripts = join(import.meta.dirname, '../../../scripts');

// Waits without a child process (read on a FIFO nobody writes), so a TERM to the shim leaves nothing behind.
const FAKE_GO = `#!/usr/bin/env bash
calls="$FAKE_GO_DIR/calls.log"
out=""
case "$1" in
  mod)
    # go mod download -json prints indented JSON, one field a line.
    if [[ $2 == download ]]; then printf '{\\n\\t"Path": "k8s.io/kubernetes",\\n\\t"GoMod": "%s"\\n}\\n' "$FAKE_GO_DIR/kubernetes.mod"; fi
    exit 0 ;;
  get) exit 0 ;;
  install) out="$GOBIN/helm" ;;
  build) while [[ $# -gt 0 ]]; do if [[ $1 == -o ]]; then out=$2; break; fi; shift; done ;;
  *) echo "fake go: unexpected arguments: $*" >&2; exit 9 ;;
esac
mkdir -p "$(dirname "$out")"
printf 'half a binary' > "$out"
echo "build $$ $out" >> "$calls"
fifo="$FAKE_GO_DIR/wait.$$"; mkfifo "$fifo"; exec 8<>"$fifo"; rm -f "$fifo"
read -r -t "\${FAKE_GO_SECONDS:-0.2}" -u 8 || true
printf '#!/bin/sh\\necho "fake %s v0"\\n' "$(basename "$out")" > "$out"
chmod +x "$out"
`;

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** The exit code once the process ended and its stdout and stderr are complete ('close', not 'exit'). */
  exit: Promise<number | null>;
  /** The process ended; output may still be arriving, and a child it left behind may hold its pipes open. */
  gone: Promise<unknown>;
}

const started: ChildProcess[] = [];
const shimPids: number[] = [];
const sandboxes: string[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of shimPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of sandboxes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), 'mcpre-setup-cache-'));
  sandboxes.push(root);
  const bin = join(root, 'bin');
  const goDir = join(root, 'go');
  for (const d of [bin, goDir]) mkdirSync(d);
  writeFileSync(join(bin, 'go'), FAKE_GO);
  chmodSync(join(bin, 'go'), 0o755);
  writeFileSync(join(goDir, 'kubernetes.mod'), 'module k8s.io/kubernetes\n\nrequire (\n\tk8s.io/api v0.0.0\n)\n');
  const cache = join(root, 'cache');
  const builds = () =>
    existsSync(join(goDir, 'calls.log'))
      ? readFileSync(join(goDir, 'calls.log'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => {
            const [, pid, out] = l.split(' ');
            return { pid: Number(pid), out: out ?? '' };
          })
      : [];
  const run = (script: string, env: Record<string, string> = {}): Run => {
    const { KUBEBUILDER_ASSETS: _a, HELM_BIN: _h, ...base } = process.env;
    const child = spawn('bash', [join(scripts, script)], {
      env: { ...base, PATH: `${bin}:/usr/bin:/bin`, MCPRE_CACHE_DIR: cache, FAKE_GO_DIR: goDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    const r: Run = {
      child,
      stdout: '',
      stderr: '',
      exit: once(child, 'close').then(([code]) => code as number | null),
      gone: once(child, 'exit'),
    };
    child.stdout?.on('data', (d: Buffer) => {
      r.stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      r.stderr += d.toString();
    });
    return r;
  };
  return { cache, builds, run };
}

const lastLine = (s: string) => s.trim().split('\n').at(-1);
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('scripts/setup-helm.sh cache', () => {
  it('two builders at once: one builds, the other waits for it and prints the same binary', async () => {
    const s = sandbox();
    const a = s.run('setup-helm.sh', { FAKE_GO_SECONDS: '1' });
    await eventually('the first build started', async () => (s.builds().length === 1 ? true : undefined));
    const b = s.run('setup-helm.sh', { FAKE_GO_SECONDS: '1' });
    expect(await a.exit).toBe(0);
    expect(await b.exit).toBe(0);
    const helm = join(s.cache, 'helm', 'v3.22.0', 'helm');
    expect(lastLine(a.stdout)).toBe(helm);
    expect(lastLine(b.stdout)).toBe(helm);
    expect(b.stderr).toMatch(/another process is building helm v3\.22\.0 .*waiting for it to finish/);
    expect(s.builds()).toHaveLength(1);
    expect(execFileSync(helm, { encoding: 'utf8' })).toBe('fake helm v0\n');
    expect(readdirSync(join(s.cache, 'helm')).sort()).toEqual(['.lock', 'v3.22.0']);
  });

  it('SIGTERM stops the build at once and leaves nothing that looks built', async () => {
    const s = sandbox();
    const a = s.run('setup-helm.sh', { FAKE_GO_SECONDS: '60' });
    await eventually('the build started', async () => (s.builds().length === 1 ? true : undefined));
    const [shim] = s.builds();
    shimPids.push(shim!.pid);
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(143);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(a.stderr).toMatch(/terminated: stopping the build and removing its unfinished files/);
    await eventually('the stopped build process is gone', async () => (isAlive(shim!.pid) ? undefined : true));
    expect(readdirSync(join(s.cache, 'helm'))).toEqual(['.lock']);
  });

  it('a builder killed outright: nothing is published, and the next run builds elsewhere and publishes a whole binary', async () => {
    const s = sandbox();
    const a = s.run('setup-helm.sh', { FAKE_GO_SECONDS: '60' });
    await eventually('the build started', async () => (s.builds().length === 1 ? true : undefined));
    const [orphan] = s.builds();
    shimPids.push(orphan!.pid);
    a.child.kill('SIGKILL');
    // The orphaned build step still holds the pipes: 'close' would wait for it.
    await a.gone;
    // The half-written binary exists somewhere in the cache, but not where a reader looks.
    expect(existsSync(join(s.cache, 'helm', 'v3.22.0'))).toBe(false);

    // The killed script's build step still runs (an orphan); it must neither hold the lock nor share a directory.
    const b = s.run('setup-helm.sh');
    expect(await b.exit).toBe(0);
    const builds = s.builds();
    expect(builds).toHaveLength(2);
    expect(builds[1]!.out).not.toBe(builds[0]!.out);
    expect(execFileSync(lastLine(b.stdout)!, { encoding: 'utf8' })).toBe('fake helm v0\n');
    // The killed builder's private directory is cleaned up by the next builder, under the lock.
    expect(readdirSync(join(s.cache, 'helm')).sort()).toEqual(['.lock', 'v3.22.0']);
  });

  it('HELM_BIN wins: printed as it is, nothing built; a HELM_BIN that is no executable is refused', async () => {
    const s = sandbox();
    const ok = s.run('setup-helm.sh', { HELM_BIN: '/bin/sh' });
    expect(await ok.exit).toBe(0);
    expect(lastLine(ok.stdout)).toBe('/bin/sh');
    const bad = s.run('setup-helm.sh', { HELM_BIN: join(s.cache, 'no-helm-here') });
    expect(await bad.exit).toBe(2);
    expect(bad.stderr).toMatch(/HELM_BIN=.*no-helm-here is not an executable file/);
    expect(s.builds()).toEqual([]);
  });
});

describe('scripts/setup-control-plane.sh cache', () => {
  const dir = 'k8s-v1.36.3-etcd-v3.6.8';

  it('two builders at once: one builds the three binaries, the other waits and prints the same directory', async () => {
    const s = sandbox();
    const a = s.run('setup-control-plane.sh', { FAKE_GO_SECONDS: '0.5' });
    await eventually('the first build started', async () => (s.builds().length >= 1 ? true : undefined));
    const b = s.run('setup-control-plane.sh');
    expect(await a.exit).toBe(0);
    expect(await b.exit).toBe(0);
    const out = join(s.cache, 'control-plane', dir);
    expect(lastLine(a.stdout)).toBe(out);
    expect(lastLine(b.stdout)).toBe(out);
    expect(b.stderr).toMatch(/another process is building the control plane/);
    expect(s.builds().map((x) => x.out.split('/').at(-1))).toEqual(['kube-apiserver', 'kubectl', 'etcd']);
    expect(readdirSync(out).sort()).toEqual(['etcd', 'kube-apiserver', 'kubectl']);
    expect(readdirSync(join(s.cache, 'control-plane')).sort()).toEqual(['.lock', dir]);
  });

  it('SIGTERM during the kube-apiserver build stops it at once, and the next run starts from nothing', async () => {
    const s = sandbox();
    const a = s.run('setup-control-plane.sh', { FAKE_GO_SECONDS: '60' });
    await eventually('the build started', async () => (s.builds().length === 1 ? true : undefined));
    const [shim] = s.builds();
    shimPids.push(shim!.pid);
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(143);
    expect(Date.now() - t0).toBeLessThan(3000);
    await eventually('the stopped build process is gone', async () => (isAlive(shim!.pid) ? undefined : true));
    expect(readdirSync(join(s.cache, 'control-plane'))).toEqual(['.lock']);

    const b = s.run('setup-control-plane.sh');
    expect(await b.exit).toBe(0);
    expect(readdirSync(lastLine(b.stdout)!).sort()).toEqual(['etcd', 'kube-apiserver', 'kubectl']);
  });
});
