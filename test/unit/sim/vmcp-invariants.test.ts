// The simulator's VirtualMCPServer invariants hold for a gateway that serves its own group and catch one whose
// config lists an endpoint of another group, or whose status calls an existing group missing.
import { describe, expect, it } from 'vitest';
import { CONFIG_CHECKSUM_ANNOTATION, CONFIG_KEY, vmcpNames } from '../../../src/api/vmcp/names.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { FakeApiServer, type KubeObject } from '../../../src/sim/fake-apiserver.ts';
import { GROUP_VERSION, NS, R } from '../../../src/sim/scenario.ts';
import { SimScheduler } from '../../../src/sim/scheduler.ts';
import { checkReadyVmcps } from '../../../src/sim/vmcp-invariants.ts';

const IMAGE = 'mcpre:sim';
const meta = (name: string, extra: Partial<KubeObject['metadata']> = {}) => ({ name, namespace: NS, ...extra });

function cluster(backends: string[], conditions: { type: string; status: string; reason: string }[]) {
  const api = new FakeApiServer({
    scheduler: new SimScheduler(seededRng(1)),
    rng: seededRng(2),
    statusSubresource: [],
  });
  api.createNow(R.group, { apiVersion: GROUP_VERSION, kind: 'MCPGroup', metadata: meta('alpha') });
  api.createNow(R.endpoint, { kind: 'MCPRemoteEndpoint', metadata: meta('ep-1'), spec: { groupRef: 'alpha' } });
  api.createNow(R.endpoint, { kind: 'MCPRemoteEndpoint', metadata: meta('ep-9'), spec: { groupRef: 'beta' } });
  const v = api.createNow(R.vmcp, {
    kind: 'VirtualMCPServer',
    metadata: meta('v'),
    spec: { groupRef: 'alpha' },
    status: { url: `http://vmcp-v.${NS}.svc.cluster.local:4483/mcp`, conditions },
  });
  const names = vmcpNames('v');
  const owner = {
    ownerReferences: [{ apiVersion: GROUP_VERSION, kind: 'VirtualMCPServer', name: 'v', uid: v.metadata.uid! }],
  };
  const yaml = `name: v\nbackends:\n${backends.map((b) => `  - name: ${b}\n`).join('')}`;
  api.createNow(R.configMap, {
    kind: 'ConfigMap',
    metadata: meta(names.configMap, owner),
    data: { [CONFIG_KEY]: yaml },
  });
  api.createNow(R.deployment, {
    kind: 'Deployment',
    metadata: meta(names.name, owner),
    spec: {
      template: {
        metadata: { annotations: { [CONFIG_CHECKSUM_ANNOTATION]: 'x' } },
        spec: { containers: [{ image: IMAGE }] },
      },
    },
  });
  for (const r of [R.service, R.serviceAccount, R.role, R.roleBinding])
    api.createNow(r, { kind: 'Owned', metadata: meta(names.name, owner) });
  return api;
}

const ready = [
  { type: 'Ready', status: 'True', reason: 'GatewayReady' },
  { type: 'BackendsConfigured', status: 'True', reason: 'AllBackendsConfigured' },
];

describe('VirtualMCPServer invariants', () => {
  it('hold for a Ready gateway whose config lists exactly its group', () => {
    expect(checkReadyVmcps(cluster(['ep-1'], ready), IMAGE)).toEqual([]);
  });

  it('catch a backend from another group', () => {
    const found = checkReadyVmcps(cluster(['ep-1', 'ep-9'], ready), IMAGE).map((v) => v.invariant);
    expect(found).toContain('vmcpConfigListsItsGroup');
  });

  it('catch "all backends configured" while a member is left out', () => {
    const found = checkReadyVmcps(cluster([], ready), IMAGE).map((v) => v.invariant);
    expect(found).toEqual(['vmcpStatusReflectsBackends']);
  });

  it('catch GroupNotFound for a group that exists', () => {
    const status = [{ type: 'GroupRefValid', status: 'False', reason: 'GroupNotFound' }];
    const found = checkReadyVmcps(cluster(['ep-1'], status), IMAGE).map((v) => v.invariant);
    expect(found).toEqual(['vmcpGroupStatusIsTrue', 'vmcpWithGroupSettlesReady']);
  });
});
