import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToEnd, spawnChild } from '../support/child-process.ts';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../support/control-plane.ts';

describe('the real control plane', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane({ crdDirs: [] });
  });
  afterAll(() => cp?.stop());

  it('serves the admin user over TLS with the CA in the kubeconfig and reports its version', async () => {
    const res = await cp.running.admin.request('GET', '/version');
    expect(res.status).toBe(200);
    expect((res.json as { gitVersion: string }).gitVersion).toMatch(/^v1\.(3[4-9]|[4-9]\d)\./);
  });

  it('enforces RBAC: an anonymous request may read /readyz but not list secrets', async () => {
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    const ready = await fetch(`${cp.server}/readyz`, { dispatcher: insecure });
    expect(ready.status).toBe(200);
    const anon = await fetch(`${cp.server}/api/v1/secrets`, { dispatcher: insecure });
    expect(anon.status).toBe(403);
    await insecure.close();
  });

  it('creates namespaces for tests and honours optimistic concurrency (409 on a stale resourceVersion)', async () => {
    const ns = await cp.namespace('occ');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: ns }, data: { a: '1' } };
    const created = await cp.running.admin.request('POST', `/api/v1/namespaces/${ns}/configmaps`, cm);
    expect(created.status).toBe(201);
    const rv = (created.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const path = `/api/v1/namespaces/${ns}/configmaps/c`;
    const first = await cp.running.admin.request('PUT', path, {
      ...cm,
      metadata: { ...cm.metadata, resourceVersion: rv },
      data: { a: '2' },
    });
    expect(first.status).toBe(200);
    const stale = await cp.running.admin.request('PUT', path, {
      ...cm,
      metadata: { ...cm.metadata, resourceVersion: rv },
      data: { a: '3' },
    });
    expect(stale.status).toBe(409);
  });
});

describe('mcpre dev cluster', () => {
  it('prints a ready line with the kubeconfig path, serves kubectl, and removes everything on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpre-devcluster-test-'));
    const kubeconfig = join(dir, 'kc');
    const cluster = spawnChild(join(REPO_ROOT, 'node_modules/.bin/node'), [
      'src/cli.ts',
      'dev',
      'cluster',
      '--kubeconfig',
      kubeconfig,
    ]);
    try {
      await cluster.waitForStdout(new RegExp(`ready.*${kubeconfig.replace(/[/.]/g, '\\$&')}`), 90_000);
      expect(existsSync(kubeconfig)).toBe(true);
      const kubectl = process.env.KUBEBUILDER_ASSETS ? join(process.env.KUBEBUILDER_ASSETS, 'kubectl') : 'kubectl';
      const example = join(dir, 'ep.yaml');
      await writeFile(
        example,
        'apiVersion: toolhive.stacklok.dev/v1alpha1\nkind: MCPRemoteEndpoint\nmetadata: {name: ex}\nspec: {type: direct, remoteURL: "https://mcp.example.com/mcp", transport: streamable-http, groupRef: g}\n',
      );
      const run = (args: string[]) => runToEnd(kubectl, ['--kubeconfig', kubeconfig, ...args]);
      const applied = await run(['apply', '-f', example]);
      expect(applied.code, applied.stderr).toBe(0);
      const got = await run(['get', 'mcpre']);
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout.split('\n')[0]).toMatch(/NAME\s+TYPE\s+PHASE\s+REMOTE URL\s+URL\s+AGE/);
      expect(got.stdout).toMatch(/ex\s+direct/);
    } finally {
      await cluster.stop(60_000);
    }
    expect(existsSync(kubeconfig)).toBe(false);
    expect(cluster.stderr()).toMatch(/stopping and removing/);
  });
});
