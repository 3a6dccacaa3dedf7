// A failed build (here: a Kubernetes version the module proxy does not have) must stop with a message that names
// the module and the KUBEBUILDER_ASSETS way out, not with a bare Go error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('reports a failed build with the module it could not get and how to skip the build', () => {
  const { KUBEBUILDER_ASSETS: _drop, ...env } = process.env;
  const res = spawnSync('bash', [join(import.meta.dirname, '../../scripts/setup-control-plane.sh')], {
    env: { ...env, MCPRE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'mcpre-cache-')), MCPRE_K8S_VERSION: 'v1.99.0' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  expect(res.status).toBe(3);
  expect(res.stderr).toMatch(/k8s\.io\/kubernetes@v1\.99\.0/);
  expect(res.stderr).toMatch(/set KUBEBUILDER_ASSETS to a directory holding kube-apiserver, etcd and kubectl/);
});
