// Other users than admin, subject to real RBAC, and the audit log: the pieces the RBAC test of the operator needs
// (run the operator as a user bound only to its ClusterRole; read from the audit log what it actually called).
import { readFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane as startRaw } from '../../src/control-plane/control-plane.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane.ts';

describe('control plane users and audit', () => {
  let cp: Awaited<ReturnType<typeof startRaw>>;
  beforeAll(async () => {
    cp = await startRaw({ crdDirs: [], audit: true });
  });
  afterAll(() => cp?.stop());

  it('a certificate user gets 403 until a Role allows the verb, and the audit log records both', async () => {
    const admin = new KubeConfig();
    admin.loadFromString(cp.kubeconfig);
    const user = new KubeConfig();
    user.loadFromString(await cp.userKubeconfig('reader', ['readers']));
    const core = user.makeApiClient(CoreV1Api);
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).rejects.toMatchObject({ code: 403 });
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'default',
      body: {
        metadata: { name: 'cm-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'default',
      body: {
        metadata: { name: 'cm-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ kind: 'Group', name: 'readers', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    await expect
      .poll(async () => (await core.listNamespacedConfigMap({ namespace: 'default' }).catch(() => null)) !== null)
      .toBe(true);
    const audit = (await readFile(cp.auditLogPath!, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            user: { username: string };
            verb: string;
            objectRef?: { resource?: string };
            responseStatus?: { code: number };
          },
      );
    const mine = audit.filter((e) => e.user.username === 'reader' && e.objectRef?.resource === 'configmaps');
    expect(mine.some((e) => e.verb === 'list' && e.responseStatus?.code === 403)).toBe(true);
    expect(mine.some((e) => e.verb === 'list' && e.responseStatus?.code === 200)).toBe(true);
  });
});

describe('test harness namespaces', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane({ crdDirs: [] });
  });
  afterAll(() => cp?.stop());
  it('hands out distinct namespaces', async () => {
    const a = await cp.namespace('x');
    const b = await cp.namespace('x');
    expect(a).not.toBe(b);
  });
});
