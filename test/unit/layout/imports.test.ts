// The layering rule of docs/architecture.md: a folder of src/ imports only folders below it. Folders on the same
// level (the controllers, the gateway and the probe) do not import each other.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

const LEVEL: Record<string, number> = {
  api: 0,
  machines: 1,
  actors: 2,
  runtime: 3,
  viz: 4,
  'control-plane': 4,
  controllers: 5,
  gateway: 5,
  probe: 5,
  sim: 6,
  cli: 7,
};

function folderOf(file: string): string {
  const first = relative(src, file).split('/')[0] ?? '';
  return first === 'cli.ts' ? 'cli' : first;
}

function sources(): string[] {
  return readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Relative specifiers of static imports, re-exports and dynamic imports. */
function relativeImports(text: string): string[] {
  const found = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g)];
  return found.map((m) => m[2] ?? '');
}

describe('src layering', () => {
  it('every src folder has a level', () => {
    const folders = new Set(sources().map(folderOf));
    expect([...folders].filter((f) => !(f in LEVEL))).toEqual([]);
  });

  it('imports point down, never up or sideways', () => {
    const bad: string[] = [];
    let edges = 0;
    for (const file of sources()) {
      const from = folderOf(file);
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const to = folderOf(resolve(dirname(file), spec));
        if (to === from) continue;
        edges += 1;
        if (!((LEVEL[to] ?? 99) < (LEVEL[from] ?? -1))) bad.push(`${relative(src, file)} -> ${spec}`);
      }
    }
    expect(edges).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });
});
