// docs/user-guide.md and docs/operations.md name files, flags, Helm values and metric series; these checks keep those
// names true to the code (a renamed flag or series fails here, not in a reader's terminal).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repoRoot = join(import.meta.dirname, '../../..');
const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
const guide = read('docs/user-guide.md');
const ops = read('docs/operations.md');

function sourcesUnder(dir: string): string {
  return readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe('user docs', () => {
  it('every repository path they name exists', () => {
    const paths = new Set(
      [...`${guide}\n${ops}`.matchAll(/`((?:examples|deploy|src|crds|docs)\/[^`\s]*)`/g)].map((m) => m[1] ?? ''),
    );
    expect(paths.size).toBeGreaterThan(10);
    for (const p of paths) expect(existsSync(join(repoRoot, p)), p).toBe(true);
  });

  it('every mcpre operator flag they name is one the command takes', () => {
    const help = spawnSync(process.execPath, ['src/cli.ts', 'operator', '--help'], { cwd: repoRoot, encoding: 'utf8' });
    expect(help.status).toBe(0);
    const flags = new Set([...`${guide}\n${ops}`.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1] ?? ''));
    const operatorFlags = [...flags].filter((f) =>
      ['--leader-elect', '--lease', '--renew', '--retry', '--metrics', '--resync', '--namespace'].some((p) =>
        f.startsWith(p),
      ),
    );
    expect(operatorFlags.length).toBeGreaterThanOrEqual(6);
    for (const f of operatorFlags) expect(help.stdout, f).toContain(f);
  });

  it('every Helm value in the guide exists in values.yaml', () => {
    const values = parse(read('deploy/helm/mcpre/values.yaml')) as Record<string, unknown>;
    const rows = [...guide.matchAll(/^\| `([a-zA-Z.]+)`(?:, `([a-zA-Z.]+)`)*(?:, `([a-zA-Z.]+)`)?/gm)];
    const keys = rows.flatMap((m) => m.slice(1).filter((k): k is string => Boolean(k)));
    expect(keys.length).toBeGreaterThan(8);
    for (const key of keys) {
      const path = key.replace(/\.\*$/, '').split('.');
      let node: unknown = values;
      for (const part of path) node = (node as Record<string, unknown> | undefined)?.[part];
      // `blockedCIDRsV6` is listed next to its sibling without the prefix.
      if (node === undefined && path.length === 1) node = (values.networkPolicy as Record<string, unknown>)[key];
      expect(node, key).not.toBeUndefined();
    }
  });

  it('every metric series they list is defined in the code', () => {
    const code = sourcesUnder('src');
    const names = [
      ...ops.matchAll(/`((?:operator_|gateway_|backend_session_|reconcile|actors|deprecation_)[a-z_]*)[{`]/g),
    ].map((m) => `mcpre_${m[1]}`);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      if (name.endsWith('_')) continue; // `operator_process_*`: prom-client's defaults under our prefix
      expect(code.includes(`'${name}'`), name).toBe(true);
    }
  });
});
