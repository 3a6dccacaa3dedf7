// The setup script must say exactly what is missing and how to provide KUBEBUILDER_ASSETS instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../../scripts/setup-control-plane.sh');

function run(env: Record<string, string | undefined>) {
  const { KUBEBUILDER_ASSETS: _drop, ...base } = process.env;
  const res = spawnSync('bash', [script], { env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stderr: res.stderr, stdout: res.stdout };
}

describe('scripts/setup-control-plane.sh', () => {
  it('names the missing Go toolchain and the KUBEBUILDER_ASSETS alternative', () => {
    const cache = mkdtempSync(join(tmpdir(), 'mcpre-cache-'));
    const res = run({ PATH: '/usr/bin:/bin', MCPRE_CACHE_DIR: cache });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/Go toolchain \('go', 1\.24 or newer\) is not on PATH/);
    expect(res.stderr).toMatch(/KUBEBUILDER_ASSETS at a directory holding the binaries 'kube-apiserver', 'etcd'/);
    expect(res.stdout).toBe('');
  });

  it('rejects a KUBEBUILDER_ASSETS directory without the binaries and says what to put there', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mcpre-assets-'));
    const res = run({ KUBEBUILDER_ASSETS: empty });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`KUBEBUILDER_ASSETS=${empty} lacks an executable kube-apiserver and etcd`);
    expect(res.stderr).toMatch(/unset KUBEBUILDER_ASSETS to build them/);
  });

  it('uses KUBEBUILDER_ASSETS as it is when the binaries are there, building nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpre-assets-'));
    for (const b of ['kube-apiserver', 'etcd'])
      spawnSync('bash', ['-c', `printf '#!/bin/sh\\n' > ${dir}/${b}; chmod +x ${dir}/${b}`]);
    const res = run({ KUBEBUILDER_ASSETS: dir, PATH: '/usr/bin:/bin' });
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(dir);
  });
});
