// The converted fixtures against a real kube-apiserver with crds/ installed: every MCPRemoteEndpoint that
// `mcpre migrate` writes is created (HTTP 201) in a fresh namespace with strict field validation, so neither the
// schema, nor the CEL rules, nor pruning of unknown fields can quietly take anything away; and what the server
// stores still holds every value that was sent.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { migrateManifests } from '../../../src/api/migrate/migrate-documents.ts';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../../support/control-plane.ts';

type Obj = Record<string, unknown>;

const DIR = join(REPO_ROOT, 'test/fixtures/migrate');
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.input.yaml'))
  .sort();

/** The MCPRemoteEndpoints `mcpre migrate` makes of one fixture, with the items of a List in place of the List. */
function convertedEndpoints(fixture: string): Obj[] {
  const result = migrateManifests(readFileSync(join(DIR, fixture), 'utf8'));
  if (!result.ok) throw new Error(`${fixture}: ${result.error}`);
  return parseAllDocuments(result.output)
    .map((d) => d.toJS() as Obj)
    .flatMap((d) => (d.kind === 'List' ? (d.items as Obj[]) : [d]))
    .filter((d) => d.kind === 'MCPRemoteEndpoint');
}

/** Paths of values that were sent but are not in what the server returned (defaults it added are fine). */
function missingIn(stored: unknown, sent: unknown, path = ''): string[] {
  if (Array.isArray(sent)) {
    if (!Array.isArray(stored) || stored.length !== sent.length) return [path];
    return sent.flatMap((v, i) => missingIn(stored[i], v, `${path}[${i}]`));
  }
  if (typeof sent === 'object' && sent !== null) {
    if (typeof stored !== 'object' || stored === null) return [path];
    return Object.entries(sent).flatMap(([k, v]) => missingIn((stored as Obj)[k], v, `${path}.${k}`));
  }
  return stored === sent ? [] : [path];
}

const endpointsPath = (ns: string) =>
  `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${ns}/mcpremoteendpoints?fieldValidation=Strict`;

describe('converted manifests on the real control plane', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(() => cp?.stop());

  for (const fixture of FIXTURES) {
    it(`creates every MCPRemoteEndpoint converted from ${fixture} (HTTP 201, nothing pruned)`, async () => {
      const endpoints = convertedEndpoints(fixture);
      expect(endpoints.length).toBeGreaterThan(0);
      for (const endpoint of endpoints) {
        const ns = await cp.namespace('migrate');
        const body: Obj = { ...endpoint, metadata: { ...(endpoint.metadata as Obj), namespace: ns } };
        const res = await cp.running.admin.request('POST', endpointsPath(ns), body);
        const name = (endpoint.metadata as Obj).name;
        expect(res.status, `${fixture} ${String(name)}: ${res.text}`).toBe(201);
        expect(missingIn((res.json as Obj).spec, body.spec, 'spec')).toEqual([]);
        expect(missingIn((res.json as Obj).metadata, body.metadata, 'metadata')).toEqual([]);
      }
    });
  }

  it('would notice a broken conversion: the same object without proxyConfig is rejected by the CRD', async () => {
    const [endpoint] = convertedEndpoints('rfc-era-remote-proxy.input.yaml');
    const ns = await cp.namespace('migrate-neg');
    const { proxyConfig: _dropped, ...spec } = (endpoint as Obj).spec as Obj;
    const res = await cp.running.admin.request('POST', endpointsPath(ns), {
      ...endpoint,
      metadata: { name: 'broken', namespace: ns },
      spec,
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('spec.proxyConfig is required when spec.type is proxy');
  });
});
