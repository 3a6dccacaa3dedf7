// Which member changes wake the VirtualMCPServers of the group: exactly those that can change what the plan says.
// Each case is checked against the planner itself, so the predicate cannot drift from what the plan reads.
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/api/endpoint/model.ts';
import { planVmcp } from '../../../src/api/vmcp/decision.ts';
import type { VirtualMCPServer } from '../../../src/api/vmcp/model.ts';
import { memberChangeMatters, vmcpChangeMatters } from '../../../src/api/vmcp/snapshot.ts';
import { direct, proxy, snapshot, vmcp } from './fixtures.ts';

const settings = { image: 'ghcr.io/example/mcpre:test' };
const planOf = (members: Endpoint[]) => {
  const p = planVmcp(snapshot(vmcp('gw'), members), settings);
  if (p.kind !== 'apply') throw new Error(`expected an apply plan, got ${p.kind}`);
  return { yaml: p.rendered.yaml, backends: p.backends, desired: p.desired };
};
const edit = (e: Endpoint, f: (copy: Endpoint) => void): Endpoint => {
  const copy = structuredClone(e);
  f(copy);
  return copy;
};

const base = proxy('search', 'http://search-proxy.team-a.svc:8080');
const other = direct('docs');
const cases: [string, Endpoint, boolean][] = [
  [
    'a new condition and a session report',
    edit(base, (e) => {
      e.status = {
        ...e.status,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Probed',
            message: 'ok',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
        session: { state: 'Active', circuit: 'Closed' },
        observedGeneration: 3,
      } as Endpoint['status'];
    }),
    false,
  ],
  [
    'a phase change that is not to or from Failed',
    edit(base, (e) => {
      e.status = { ...e.status, phase: 'Pending' };
    }),
    false,
  ],
  [
    'a new status.url',
    edit(base, (e) => {
      e.status = { ...e.status, url: 'http://search-2.team-a.svc:8080' };
    }),
    true,
  ],
  [
    'status.url cleared',
    edit(base, (e) => {
      e.status = { phase: 'Pending' };
    }),
    true,
  ],
  [
    'the type',
    edit(base, (e) => {
      e.spec.type = 'direct';
    }),
    true,
  ],
  [
    'being deleted',
    edit(base, (e) => {
      e.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    }),
    true,
  ],
];

describe('memberChangeMatters', () => {
  it('wakes on a member seen for the first time', () => {
    expect(memberChangeMatters(undefined, base)).toBe(true);
  });
  for (const [what, changed, matters] of cases) {
    it(`${what}: ${matters ? 'wakes' : 'does not wake'}, and the plan ${matters ? 'changes' : 'stays'}`, () => {
      expect(memberChangeMatters(base, changed)).toBe(matters);
      const same = JSON.stringify(planOf([base, other])) === JSON.stringify(planOf([changed, other]));
      expect(same).toBe(!matters);
    });
  }
});

describe('vmcpChangeMatters', () => {
  const gw = vmcp('gw');
  const changed = (f: (copy: VirtualMCPServer) => void) => {
    const copy = structuredClone(gw);
    f(copy);
    return vmcpChangeMatters(gw, copy);
  };

  it('ignores a new resourceVersion and the backends the gateway reports', () => {
    expect(
      changed((v) => {
        v.metadata.resourceVersion = '99';
        v.status = { ...v.status, backendCount: 2, backendsReportedBy: 'gw-0' };
      }),
    ).toBe(false);
  });
  it('wakes on a spec change, a deletion and a change of the status the operator owns', () => {
    expect(vmcpChangeMatters(undefined, gw)).toBe(true);
    expect(
      changed((v) => {
        v.spec.replicas = 3;
      }),
    ).toBe(true);
    expect(
      changed((v) => {
        v.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
      }),
    ).toBe(true);
    expect(
      changed((v) => {
        v.status = { ...v.status, phase: 'Failed' };
      }),
    ).toBe(true);
  });
});
