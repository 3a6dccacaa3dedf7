// docs/migration.md shows inputs and what `mcpre migrate` makes of them; this keeps those examples true.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateManifests } from '../../../src/api/migrate/migrate-documents.ts';
import { formatEntry } from '../../../src/api/migrate/report.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';

const guide = readFileSync(join(REPO_ROOT, 'docs/migration.md'), 'utf8');
const examples = guide.slice(guide.indexOf('## Examples'), guide.indexOf('## Switching a live cluster'));
const yamlBlocks = [...examples.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('the examples in docs/migration.md', () => {
  it('come in input/output pairs', () => {
    expect(yamlBlocks.length).toBe(4);
  });

  for (const pair of [0, 2]) {
    it(`example ${pair / 2 + 1}: the shown output is what the command prints, and the shown report line is printed`, () => {
      const result = migrateManifests(yamlBlocks[pair] ?? '');
      if (!result.ok) throw new Error(result.error);
      expect(result.output).toBe(yamlBlocks[pair + 1]);
      const lines = result.entries.map(formatEntry);
      expect(lines).toHaveLength(1);
      const quoted = (lines[0] ?? '').replace(/ has no MCPRemoteEndpoint equivalent.*/, '');
      expect(examples.replace(/\n/g, ' ')).toContain(quoted.split(': field ')[1]);
    });
  }
});
