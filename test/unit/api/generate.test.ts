// scripts/generate.ts keeps src/api/generated and docs/crd-reference.md in step with crds/. The check mode is part
// of the test command, so it must pass on the committed tree and must fail, naming the file, when anything drifts.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');

function runGenerate(root: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'scripts/generate.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

// Each case runs the generator (a Node process that loads every machine) up to three times: seconds each on a busy
// 2-core machine, so the unit project's 20 s default is too short here.
describe('scripts/generate.ts --check', { timeout: 120_000 }, () => {
  it('passes on the committed tree', () => {
    const result = runGenerate(repoRoot, '--check');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  describe('on a copy of the inputs', () => {
    let copy: string;
    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), 'mcpre-generate-'));
      // The state charts are generated from src/machines, which import the rest of src.
      for (const path of ['crds', 'scripts', 'src', 'docs', 'biome.json', 'package.json', '.gitignore']) {
        cpSync(join(repoRoot, path), join(copy, path), { recursive: true });
      }
      symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    it('names a hand-edited generated file as stale', () => {
      const file = join(copy, 'src/api/generated/mcp-group.ts');
      writeFileSync(file, `${readFileSync(file, 'utf8')}// hand edit\n`);
      const result = runGenerate(copy, '--check');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('stale: src/api/generated/mcp-group.ts');
      expect(result.stderr).not.toContain('mcp-remote-endpoint.ts');
    });

    it('names the outputs of a changed CRD, and regenerating makes the check pass again', () => {
      const crd = join(copy, 'crds/toolhive.stacklok.dev_mcptoolconfigs.yaml');
      writeFileSync(crd, readFileSync(crd, 'utf8').replace('Name to show instead of the original.', 'Shown name.'));
      const stale = runGenerate(copy, '--check');
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('stale: src/api/generated/mcp-tool-config.ts');
      expect(stale.stderr).toContain('stale: docs/crd-reference.md');
      expect(runGenerate(copy).status).toBe(0);
      const again = runGenerate(copy, '--check');
      expect(again.status).toBe(0);
      expect(readFileSync(join(copy, 'src/api/generated/mcp-tool-config.ts'), 'utf8')).toContain('Shown name.');
    });

    it('is deterministic: two runs write identical bytes', () => {
      runGenerate(copy);
      const first = readFileSync(join(copy, 'src/api/generated/mcp-remote-endpoint.ts'), 'utf8');
      runGenerate(copy);
      expect(readFileSync(join(copy, 'src/api/generated/mcp-remote-endpoint.ts'), 'utf8')).toBe(first);
    });
  });
});
