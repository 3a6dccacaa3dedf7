// The operator's RBAC comes from one declaration (src/controllers/endpoint/permissions.ts). These checks need no cluster:
// the generated manifests carry exactly the declared rules, and the operator holds every permission it puts into a
// gateway's Role (Kubernetes refuses to let anyone grant what they do not hold).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { gatewayRules } from '../../../src/api/vmcp/rbac.ts';
import {
  clusterRoleGrants,
  gatewayOnlyGrants,
  grantKey,
  leaderElectionRules,
  MAY_GO_UNUSED,
  OPERATOR_PERMISSIONS,
  operatorClusterRules,
  operatorGrants,
  standaloneGatewayRules,
} from '../../../src/controllers/endpoint/permissions.ts';

const repoRoot = join(import.meta.dirname, '../../..');
type Doc = { kind: string; metadata: { name: string; namespace?: string }; rules?: unknown; subjects?: unknown[] };
const docs = (path: string): Doc[] =>
  parseAllDocuments(readFileSync(join(repoRoot, path), 'utf8')).map((d) => d.toJS() as Doc);

describe('operator permissions', () => {
  it('the kustomize ClusterRole carries exactly the declared rules, bound to the operator ServiceAccount', () => {
    const rbac = docs('deploy/kustomize/base/rbac.yaml');
    expect(rbac.find((d) => d.kind === 'ClusterRole')?.rules).toEqual(operatorClusterRules());
    expect(rbac.find((d) => d.kind === 'Role')?.rules).toEqual(leaderElectionRules());
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      expect(rbac.find((d) => d.kind === kind)?.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'mcpre-operator', namespace: 'mcpre-system' },
      ]);
    }
  });

  it('the hand-deployed gateway Role is the discovered-mode gateway Role less the VirtualMCPServer reporting', () => {
    const role = docs('deploy/kustomize/gateway/rbac.yaml').find((d) => d.kind === 'Role');
    expect(role?.rules).toEqual(standaloneGatewayRules('mcpre-gateway'));
    const resources = standaloneGatewayRules('x').flatMap((r) => r.resources);
    expect(resources).toEqual(expect.arrayContaining(['leases', 'mcpremoteendpoints', 'secrets', 'configmaps']));
    expect(resources.filter((r) => r.startsWith('virtualmcpservers') || r.endsWith('/status'))).toEqual([]);
    // The shipped config names the Lease the Role allows.
    const config = validateGatewayConfig(
      parse(readFileSync(join(repoRoot, 'deploy/kustomize/gateway/gateway.yaml'), 'utf8')),
    );
    expect(config.lease?.name).toBe('mcpre-gateway');
  });

  it('every declared permission says why, and no triple is declared twice', () => {
    for (const p of OPERATOR_PERMISSIONS) expect(p.why.length).toBeGreaterThan(5);
    const keys = operatorGrants().map(grantKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('holds every permission it grants to gateways, in both discovery modes (RBAC escalation prevention)', () => {
    const held = new Set(clusterRoleGrants().map(grantKey));
    for (const mode of ['inline', 'discovered'] as const) {
      for (const rule of gatewayRules(mode, 'gw', 'gw-lease')) {
        for (const apiGroup of rule.apiGroups)
          for (const resource of rule.resources)
            for (const verb of rule.verbs) {
              expect(
                held.has(grantKey({ apiGroup, resource, verb: verb as never })),
                `${mode}: ${resource} ${verb}`,
              ).toBe(true);
            }
      }
    }
  });

  it('grants nothing beyond its own calls and what it hands on, and never a wildcard or escalate/bind', () => {
    const own = new Set([...operatorGrants(), ...gatewayOnlyGrants()].map(grantKey));
    expect(
      clusterRoleGrants()
        .map(grantKey)
        .filter((k) => !own.has(k)),
    ).toEqual([]);
    for (const rule of operatorClusterRules()) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
      expect(rule.verbs).not.toContain('escalate');
      expect(rule.verbs).not.toContain('bind');
    }
    // The allow-list of unused grants only names grants that exist.
    for (const g of MAY_GO_UNUSED) expect(own.has(grantKey(g)), grantKey(g)).toBe(true);
  });
});
