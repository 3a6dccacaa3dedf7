// The operator's ClusterRole is generated from src/controllers/endpoint/permissions.ts. This test runs `mcpre operator`
// as a certificate user bound to exactly the generated role (nothing else: no system:masters) through a scenario
// that reaches every code path, and reads the API server's audit log both ways:
//   - nothing the operator does is denied (a missing verb is a 403 here and a stuck endpoint in the scenario);
//   - every (apiGroup, resource, verb) the role grants was used at least once, except the grants the operator holds
//     only to hand on to gateway Roles and the few listed in MAY_GO_UNUSED, each with its reason.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type RunningControlPlane, startControlPlane as startRaw } from '../../../src/control-plane/control-plane.ts';
import {
  clusterRoleGrants,
  gatewayOnlyGrants,
  grantKey,
  MAY_GO_UNUSED,
} from '../../../src/controllers/endpoint/permissions.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';
import {
  adminRequest,
  auditGrantKey,
  kubeconfigFile,
  type OperatorProcess,
  readAudit,
  startOperatorProcess,
} from './operator-process.ts';
import { createScenario, deprecationEvents, driveScenario, eventually } from './scenario.ts';

const USER = 'mcpre-operator-rbac-test';

let cp: RunningControlPlane;
let kube: KubeObjects;
let dir: string;
let http: KubeHttp;

const admin = (method: string, path: string, body?: unknown) => adminRequest(cp, method, path, body);

beforeAll(async () => {
  cp = await startRaw({
    crdDirs: ['crds', 'test/crds/toolhive', 'test/crds/toolhive-v1beta1'].map((d) => join(REPO_ROOT, d)),
    audit: true,
  });
  const kc = new KubeConfig();
  kc.loadFromString(cp.kubeconfig);
  kube = kubeObjects(kc);
  http = createKubeHttp(kc);
  dir = await mkdtemp(join(tmpdir(), 'mcpre-rbac-'));
});
afterAll(async () => {
  await http?.close();
  await kube?.close();
  await cp?.stop();
});

describe('the generated ClusterRole', () => {
  it('lets the operator do everything it does, and grants nothing it does not use', async () => {
    const rbacYaml = await readFile(join(REPO_ROOT, 'deploy/kustomize/base/rbac.yaml'), 'utf8');
    const docs = parseAllDocuments(rbacYaml).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    const clusterRole = docs.find((d) => d.kind === 'ClusterRole');
    const leaderRole = docs.find((d) => d.kind === 'Role');
    expect(clusterRole?.metadata.name).toBe('mcpre-operator');
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', clusterRole);
    // Leader election: the generated Role in the operator's namespace, bound to the same user.
    await admin('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'mcpre-system' },
    });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/mcpre-system/roles', leaderRole);
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/mcpre-system/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'mcpre-operator-leader-election' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaderRole?.metadata.name },
      subjects: [{ kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' }],
    });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'mcpre-operator-rbac-test' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mcpre-operator' },
      subjects: [{ kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' }],
    });

    const ns = `rbac-${process.pid}`;
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const kc = new KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const ca = Buffer.from(kc.getCurrentCluster()?.caData ?? '', 'base64').toString('utf8');
    await createScenario(kube, ns, ca);

    const kubeconfig = await kubeconfigFile(dir, USER, await cp.userKubeconfig(USER));
    const args = [
      '--kubeconfig',
      kubeconfig,
      '--log-level',
      'debug',
      '--leader-elect',
      '--lease-namespace',
      'mcpre-system',
    ];
    const env = { MCPRE_PROXY_IMAGE: 'mcpre:rbac-test' };
    const stopChecked = async (op: OperatorProcess) => {
      const code = await op.stop();
      const tail = op.lines.slice(-8).map((l) => JSON.stringify(l));
      expect(code, `exit code; last log lines:\n${tail.join('\n')}\n${op.stderr()}`).toBe(0);
    };
    const first = startOperatorProcess(args, env);
    try {
      await first.waitForLog('ready', 30_000);
      await driveScenario(kube, ns).catch((err: Error) => {
        const warnings = first.lines.filter((l) => Number(l.level) >= 40).map((l) => JSON.stringify(l));
        throw new Error(`${err.message}\noperator warnings:\n${warnings.slice(-20).join('\n')}`);
      });
      await eventually('a deprecation warning on each ToolHive object', async () =>
        (await deprecationEvents(http, ns)).length === 2 ? true : undefined,
      );
    } finally {
      await stopChecked(first);
    }
    // A restart: the operator finds its Lease released and its deprecation events recorded already (read, bumped).
    const second = startOperatorProcess(args, env);
    try {
      await second.waitForLog('ready', 30_000);
      await eventually('the deprecation events observed again after the restart', async () => {
        const events = await deprecationEvents(http, ns);
        return events.length === 2 && events.every((e) => (e.series?.count ?? 1) >= 2) ? true : undefined;
      });
    } finally {
      await stopChecked(second);
    }

    const audit = (await readAudit(cp.auditLogPath!)).filter((r) => r.user.username === USER);
    expect(audit.length).toBeGreaterThan(20);
    const denied = audit.filter((r) => r.responseStatus?.code === 403).map((r) => `${r.verb} ${r.requestURI}`);
    expect(denied, 'requests the ClusterRole does not allow').toEqual([]);

    const used = new Set(audit.map(auditGrantKey).filter((k): k is string => k !== undefined));
    // A server-side apply that created its object was authorized for `create` too (see permissions.ts `applied`).
    for (const r of audit) {
      if (r.verb === 'patch' && r.responseStatus?.code === 201) used.add(auditGrantKey({ ...r, verb: 'create' }) ?? '');
    }
    const handedOn = new Set(gatewayOnlyGrants().map(grantKey));
    const allowed = new Map(MAY_GO_UNUSED.map((g) => [grantKey(g), g.why]));
    const granted = clusterRoleGrants().map(grantKey);
    const unused = granted.filter((k) => !used.has(k) && !handedOn.has(k) && !allowed.has(k));
    expect(unused, 'grants nothing used (remove them, or add them to MAY_GO_UNUSED with a reason)').toEqual([]);
    // Everything the operator called is in the role (a 403 above would say so too; this names the triple).
    const outside = [...used].filter((k) => !granted.includes(k));
    expect(outside, 'calls outside the ClusterRole').toEqual([]);
  });
});
