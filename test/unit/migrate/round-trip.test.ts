// Round trips on realistic ToolHive-shaped manifests (test/fixtures/migrate): input -> the expected YAML and the
// expected report, byte for byte; every converted object passes the CRD's schema; nothing is lost unreported; and
// documents of other kinds come out as they went in.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { migrateManifests } from '../../../src/api/migrate/migrate-documents.ts';
import { formatEntry, formatSummary } from '../../../src/api/migrate/report.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { validateEndpoint } from './crd-validator.ts';
import { silentlyLost } from './field-accounting.ts';

const DIR = join(REPO_ROOT, 'test/fixtures/migrate');
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.input.yaml'))
  .map((f) => f.replace(/\.input\.yaml$/, ''))
  .sort();

type Obj = Record<string, unknown>;

function docs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((v): v is Obj => typeof v === 'object' && v !== null);
}

/** Objects in document order, with the items of a `kind: List` in place of the List. */
function objects(text: string): Obj[] {
  return docs(text).flatMap((d) => (d.kind === 'List' && Array.isArray(d.items) ? (d.items as Obj[]) : [d]));
}

describe('mcpre migrate round trips on ToolHive-shaped fixtures', () => {
  it('has the four fixture sets (RFC-era and v1beta1, proxies and entries)', () => {
    expect(FIXTURES).toEqual([
      'rfc-era-remote-proxy',
      'rfc-era-server-entries',
      'toolhive-v1beta1-remote-proxies',
      'toolhive-v1beta1-server-entries',
    ]);
  });

  for (const name of FIXTURES) {
    describe(name, () => {
      const input = readFileSync(join(DIR, `${name}.input.yaml`), 'utf8');
      const result = migrateManifests(input);
      if (!result.ok) throw new Error(result.error);

      it('produces the expected YAML', () => {
        expect(result.output).toBe(readFileSync(join(DIR, `${name}.expected.yaml`), 'utf8'));
      });

      it('reports exactly the expected fields and notes', () => {
        const expected = readFileSync(join(DIR, `${name}.expected-report.txt`), 'utf8')
          .trimEnd()
          .split('\n');
        expect([...result.entries.map(formatEntry), formatSummary(result)]).toEqual(expected);
      });

      it('emits only MCPRemoteEndpoints the CRD schema accepts, and passes other kinds through unchanged', () => {
        const before = objects(input);
        const after = objects(result.output);
        expect(after).toHaveLength(before.length);
        const converts = (o: Obj) => o.kind === 'MCPRemoteProxy' || o.kind === 'MCPServerEntry';
        // A converted object as the checks see it: its kind, its type, and what the CRD schema says of it.
        const checked = (o: Obj) => ({
          kind: o.kind,
          type: (o.spec as Obj | undefined)?.type,
          violations: validateEndpoint(o),
        });
        expect(after.map((out, i) => (converts(before[i] as Obj) ? checked(out) : out))).toEqual(
          before.map((src) =>
            converts(src)
              ? { kind: 'MCPRemoteEndpoint', type: src.kind === 'MCPRemoteProxy' ? 'proxy' : 'direct', violations: [] }
              : src,
          ),
        );
      });

      it('carries every source field over or reports it (nothing dropped silently)', () => {
        const before = objects(input);
        const after = objects(result.output);
        for (const [i, src] of before.entries()) {
          if (src.kind !== 'MCPRemoteProxy' && src.kind !== 'MCPServerEntry') continue;
          const md = src.metadata as Obj;
          const own = result.entries.filter((e) => e.source.name === md.name && e.source.kind === src.kind);
          expect(silentlyLost(src, after[i] as Obj, own)).toEqual([]);
        }
      });
    });
  }
});
