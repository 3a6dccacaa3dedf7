// scripts/setup-jaeger.sh: JAEGER_BIN wins (and a bad one is refused with the way out), a cached build is used without
// building, and a failed build (a version the module proxy does not have) stops with a message, leaving no cache entry.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../scripts/setup-jaeger.sh');

function run(extra: Record<string, string>) {
  const { JAEGER_BIN: _drop, ...env } = process.env;
  return spawnSync('bash', [script], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
}

describe('scripts/setup-jaeger.sh', () => {
  it('prints JAEGER_BIN when it is an executable, and refuses one that is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpre-jaeger-bin-'));
    const bin = join(dir, 'jaeger');
    writeFileSync(bin, '#!/bin/sh\n');
    const refused = run({ JAEGER_BIN: bin });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`JAEGER_BIN=${bin} is not an executable file`);
    chmodSync(bin, 0o755);
    const ok = run({ JAEGER_BIN: bin });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split('\n').at(-1)).toBe(bin);
  });

  it('looks a bare JAEGER_BIN name up on PATH, never taking a shell builtin of that name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpre-jaeger-path-'));
    writeFileSync(join(dir, 'jaeger'), '#!/bin/sh\n', { mode: 0o755 });
    const found = run({ JAEGER_BIN: 'jaeger', PATH: `${dir}:/usr/bin:/bin` });
    expect(found.status).toBe(0);
    expect(found.stdout.trim().split('\n').at(-1)).toBe(join(dir, 'jaeger'));
    // `true` is also a bash builtin: the file on PATH is what counts, not the builtin's bare name.
    const builtinName = run({ JAEGER_BIN: 'true', PATH: '/usr/bin:/bin' });
    expect(builtinName.status).toBe(0);
    expect(builtinName.stdout.trim().split('\n').at(-1)).toBe('/usr/bin/true');
  });

  it('uses a cached build without building', () => {
    const cache = mkdtempSync(join(tmpdir(), 'mcpre-cache-'));
    const out = join(cache, 'jaeger', 'v1.75.0');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'jaeger'), '#!/bin/sh\n', { mode: 0o755 });
    const res = run({ MCPRE_CACHE_DIR: cache, PATH: '/usr/bin:/bin' });
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe(join(out, 'jaeger'));
    expect(res.stderr).toContain('cached jaeger');
  });

  it('stops a failed build with a message and leaves nothing in the cache', () => {
    const cache = mkdtempSync(join(tmpdir(), 'mcpre-cache-'));
    const res = run({ MCPRE_CACHE_DIR: cache, MCPRE_JAEGER_VERSION: 'v1.999.0' });
    expect(res.status).toBe(3);
    expect(res.stderr).toMatch(/github\.com\/jaegertracing\/jaeger.*v1\.999\.0/);
    expect(res.stderr).toContain('set JAEGER_BIN to an existing jaeger v1.999.0 binary');
    expect(existsSync(join(cache, 'jaeger', 'v1.999.0'))).toBe(false);
    expect(readdirSync(join(cache, 'jaeger')).filter((f) => f.startsWith('.stage-'))).toEqual([]);
  });
});
