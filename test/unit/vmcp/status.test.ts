// Replica policy and the operator's status: conditions that say why, nothing rewritten when nothing changed.
import { describe, expect, it } from 'vitest';
import type { DeploymentAssessment } from '../../../src/api/endpoint/deployment.ts';
import { replicaPolicy } from '../../../src/api/vmcp/replicas.ts';
import { backendsCondition, desiredVmcpStatus, planVmcpStatus } from '../../../src/api/vmcp/status.ts';
import { NOW, vmcp } from './fixtures.ts';

const ready: DeploymentAssessment = { state: 'ready', reason: 'DeploymentAvailable', message: '1/1 available' };
const pending: DeploymentAssessment = { state: 'pending', reason: 'DeploymentProgressing', message: 'rolling' };

describe('replicaPolicy', () => {
  it('holds a higher spec.replicas at 1 with a direct endpoint, and says which endpoints and why', () => {
    const d = replicaPolicy(3, ['search', 'docs'], 'team');
    expect(d.replicas).toBe(1);
    expect(d.condition).toMatchObject({
      type: 'SingleReplicaEnforced',
      status: 'True',
      reason: 'DirectEndpointsInGroup',
    });
    expect(d.condition.message).toContain('spec.replicas asks for 3 but is held at 1');
    expect(d.condition.message).toContain('search, docs');
  });

  it('allows zero, defaults to one, and runs any count without direct endpoints', () => {
    expect(replicaPolicy(0, ['search'], 'team').replicas).toBe(0);
    expect(replicaPolicy(undefined, ['search'], 'team').replicas).toBe(1);
    const free = replicaPolicy(5, [], 'team');
    expect(free.replicas).toBe(5);
    expect(free.condition).toMatchObject({ status: 'False', reason: 'NoDirectEndpoints' });
  });
});

describe('VirtualMCPServer status', () => {
  const replicas = replicaPolicy(1, [], 'team').condition;
  const backends = backendsCondition(
    'inline',
    { included: [], skipped: [], secrets: [], caMounts: [], tools: [] },
    'team',
  );

  it('is Pending without a URL while the Deployment rolls out, Ready with the URL once it is available', () => {
    const v = vmcp('gw');
    const p = desiredVmcpStatus(v, { kind: 'deployed', mode: 'inline', deployment: pending, replicas, backends });
    expect(p.phase).toBe('Pending');
    expect(p.url).toBeNull();
    const r = desiredVmcpStatus(v, { kind: 'deployed', mode: 'inline', deployment: ready, replicas, backends });
    expect(r.phase).toBe('Ready');
    expect(r.url).toBe('http://vmcp-gw.team-a.svc.cluster.local:4483/mcp');
    expect(r.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'],
      ['GroupRefValid', 'True'],
      ['ConfigurationValid', 'True'],
      ['BackendsConfigured', 'True'],
      ['SingleReplicaEnforced', 'False'],
      ['DeploymentReady', 'True'],
    ]);
  });

  it('fails with the reason when the group is missing or the config invalid', () => {
    const v = vmcp('gw');
    const g = desiredVmcpStatus(v, { kind: 'groupMissing' });
    expect(g.phase).toBe('Failed');
    expect(g.conditions.find((c) => c.type === 'GroupRefValid')).toMatchObject({
      status: 'False',
      reason: 'GroupNotFound',
    });
    const bad = desiredVmcpStatus(v, {
      kind: 'invalidConfig',
      reason: 'InvalidGatewayConfig',
      message: 'priorityOrder is empty',
      replicas,
      backends,
    });
    expect(bad.conditions.find((c) => c.type === 'ConfigurationValid')).toMatchObject({
      status: 'False',
      reason: 'InvalidGatewayConfig',
      message: expect.stringContaining('priorityOrder is empty'),
    });
  });

  it('says which endpoints are left out, telling "not yet available" from "broken"', () => {
    const pendingOnly = backendsCondition(
      'inline',
      {
        included: [],
        skipped: [{ endpoint: 'wiki', reason: 'not yet', pending: true }],
        secrets: [],
        caMounts: [],
        tools: [],
      },
      'team',
    );
    expect(pendingOnly).toMatchObject({ status: 'False', reason: 'BackendsPending' });
    const broken = backendsCondition(
      'inline',
      {
        included: [],
        skipped: [
          { endpoint: 'wiki', reason: 'not yet', pending: true },
          { endpoint: 'search', reason: 'Secret "x" does not exist', pending: false },
        ],
        secrets: [],
        caMounts: [],
        tools: [],
      },
      'team',
    );
    expect(broken).toMatchObject({ status: 'False', reason: 'BackendsSkipped' });
    expect(broken.message).toContain('search: Secret "x" does not exist');
  });

  it('plans no write when the object already says the same, and keeps lastTransitionTime when the status holds', () => {
    const v = vmcp('gw');
    const desired = desiredVmcpStatus(v, { kind: 'deployed', mode: 'inline', deployment: ready, replicas, backends });
    const first = planVmcpStatus(v, desired, NOW);
    expect(first.changed).toBe(true);
    const written = { ...v, status: { ...first.status, url: first.status.url ?? undefined, backendCount: 2 } };
    const second = planVmcpStatus(written, desired, '2026-11-25T13:00:00Z');
    expect(second.changed).toBe(false);
    expect(second.status.conditions[0]?.lastTransitionTime).toBe(NOW);
  });
});
