// The converted fixtures against a real kube-apiserver with crds/ installed: every MCPRemoteEndpoint that
// `mcpre migrate` writes is created (HTTP 201) in a fresh namespace with strict field validation, so neither the
// schema, nor the CEL rules, nor pruning of unknown fields can quietly take anything away; and what the server
// stores still holds every value that was sent. Then the migration guide's own commands for a live cluster (apply
// into a staging group, switch the group, delete the old object) run with kubectl, as a user would run them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    // The test-only ToolHive MCPRemoteProxy CRD lets the guide's rehearsal patch and delete an old object.
    cp = await startControlPlane({ crdDirs: ['crds', 'test/crds/toolhive'] });
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

  it('runs the guide: apply into a staging group, switch the group with its loop, delete the old proxy', async () => {
    const ns = await cp.namespace('migrate-switch');
    const kubectl = (...args: string[]) =>
      execFileSync(kubectlBinary(), ['--kubeconfig', cp.kubeconfigPath, '-n', ns, ...args], { encoding: 'utf8' });
    const input = readFileSync(join(DIR, 'rfc-era-remote-proxy.input.yaml'), 'utf8').replaceAll(
      'namespace: engineering',
      `namespace: ${ns}`,
    );
    // The old object, as it would be in the cluster before the migration.
    const [old] = parseAllDocuments(input).map((d) => d.toJS() as Obj);
    const created = await cp.running.admin.request(
      'POST',
      `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${ns}/mcpremoteproxies`,
      {
        apiVersion: 'toolhive.stacklok.dev/v1alpha1',
        kind: 'MCPRemoteProxy',
        metadata: { name: 'salesforce-proxy' },
        spec: (old as Obj).spec,
      },
    );
    expect(created.status, created.text).toBe(201);

    // Steps 1 and 2: convert with --staging-group and --name-suffix, create the staging group, apply.
    const result = migrateManifests(input, { stagingGroup: 'migration-staging', nameSuffix: '-v2' });
    if (!result.ok) throw new Error(result.error);
    const dir = mkdtempSync(join(tmpdir(), 'mcpre-migrate-'));
    writeFileSync(join(dir, 'new.yaml'), result.output);
    writeFileSync(
      join(dir, 'staging.yaml'),
      'apiVersion: toolhive.stacklok.dev/v1alpha1\nkind: MCPGroup\nmetadata:\n  name: migration-staging\nspec: {}\n',
    );
    kubectl('apply', '-f', join(dir, 'staging.yaml'));
    kubectl('apply', '-f', join(dir, 'new.yaml'));
    const staged = JSON.parse(kubectl('get', 'mcpre', 'salesforce-proxy-v2', '-o', 'json')) as Obj;
    expect((staged.spec as Obj).groupRef).toBe('migration-staging');
    expect((staged.metadata as Obj).annotations).toMatchObject({
      'mcpre.toolhive.stacklok.dev/target-group': 'engineering-team',
    });

    // Step 4: the guide's shell block, verbatim up to the MCPServerEntry lines (this API server has no such kind).
    const block = guideBlock('**Switch the group.**').split('\n# MCPServerEntry')[0] ?? '';
    const script = block
      .replaceAll(' NS ', ` ${ns} `)
      .replaceAll('mcpremoteproxy NAME', 'mcpremoteproxy salesforce-proxy');
    execFileSync('bash', ['-euo', 'pipefail', '-c', `kubectl() { "$KUBECTL" --kubeconfig "$KC" "$@"; }\n${script}`], {
      env: { ...process.env, KUBECTL: kubectlBinary(), KC: cp.kubeconfigPath },
      encoding: 'utf8',
    });
    const switched = JSON.parse(kubectl('get', 'mcpre', 'salesforce-proxy-v2', '-o', 'json')) as Obj;
    expect((switched.spec as Obj).groupRef).toBe('engineering-team');
    expect(((switched.metadata as Obj).annotations as Obj)['mcpre.toolhive.stacklok.dev/target-group']).toBeUndefined();
    const oldAfter = JSON.parse(kubectl('get', 'mcpremoteproxy', 'salesforce-proxy', '-o', 'json')) as Obj;
    expect((oldAfter.spec as Obj).groupRef).toBeUndefined();

    // Step 5: delete the old object and the staging group.
    kubectl('delete', 'mcpremoteproxy', 'salesforce-proxy');
    kubectl('delete', 'mcpgroup', 'migration-staging');
    const gone = await cp.running.admin.request(
      'GET',
      `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/${ns}/mcpremoteproxies/salesforce-proxy`,
    );
    expect(gone.status).toBe(404);
    expect(kubectl('get', 'mcpre', '-o', 'name').trim()).toBe(
      'mcpremoteendpoint.toolhive.stacklok.dev/salesforce-proxy-v2',
    );
  });
});

/** kubectl from the control-plane binaries when they include it, else from PATH. */
function kubectlBinary(): string {
  const assets = process.env.KUBEBUILDER_ASSETS;
  return assets && existsSync(join(assets, 'kubectl')) ? join(assets, 'kubectl') : 'kubectl';
}

/** The first ```sh block after a heading text in docs/migration.md, without its indentation. */
function guideBlock(after: string): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs/migration.md'), 'utf8');
  const from = doc.indexOf(after);
  const start = doc.indexOf('```sh\n', from) + '```sh\n'.length;
  const end = doc.indexOf('   ```', start);
  if (from < 0 || end < 0) throw new Error(`no shell block after ${after} in docs/migration.md`);
  return doc.slice(start, end).replace(/^ {3}/gm, '');
}
