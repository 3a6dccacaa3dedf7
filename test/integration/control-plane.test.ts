import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const child = spawn(
      join(REPO_ROOT, 'node_modules/.bin/node'),
      ['src/cli.ts', 'dev', 'cluster', '--kubeconfig', kubeconfig],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      const deadline = Date.now() + 90_000;
      while (!/ready/.test(out) && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 100));
      expect(out, err).toMatch(new RegExp(`ready.*${kubeconfig.replace(/[/.]/g, '\\$&')}`));
      expect(existsSync(kubeconfig)).toBe(true);
      const kubectl = process.env.KUBEBUILDER_ASSETS ? join(process.env.KUBEBUILDER_ASSETS, 'kubectl') : 'kubectl';
      const example = join(dir, 'ep.yaml');
      await writeFile(
        example,
        'apiVersion: toolhive.stacklok.dev/v1alpha1\nkind: MCPRemoteEndpoint\nmetadata: {name: ex}\nspec: {type: direct, remoteURL: "https://mcp.example.com/mcp", transport: streamable-http, groupRef: g}\n',
      );
      const run = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const p = spawn(kubectl, ['--kubeconfig', kubeconfig, ...args]);
          let stdout = '';
          let stderr = '';
          p.stdout.on('data', (d: Buffer) => {
            stdout += d.toString();
          });
          p.stderr.on('data', (d: Buffer) => {
            stderr += d.toString();
          });
          p.on('exit', (code) => resolve({ code, stdout, stderr }));
        });
      const applied = await run(['apply', '-f', example]);
      expect(applied.code, applied.stderr).toBe(0);
      const got = await run(['get', 'mcpre']);
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout.split('\n')[0]).toMatch(/NAME\s+TYPE\s+PHASE\s+REMOTE URL\s+URL\s+AGE/);
      expect(got.stdout).toMatch(/ex\s+direct/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(existsSync(kubeconfig)).toBe(false);
    expect(err).toMatch(/stopping and removing/);
  });
});
