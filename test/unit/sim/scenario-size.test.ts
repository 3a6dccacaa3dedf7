// The scenario's changes keep the world near the size a run asks for: a simulated day at 200 endpoints is a day at
// about 200 endpoints, not one that ends at several times that (what `sim-speed` measures depends on it).
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../src/runtime/random.ts';
import { type Mutation, nextMutation, type ScenarioState } from '../../../src/sim/scenario.ts';

/** Applies only what changes the counts, as the simulation's API server would; returns every count seen. */
function walk(seed: number, endpoints: number, vmcps: number, changes: number) {
  const rng = seededRng(seed);
  const state: ScenarioState = {
    endpoints: Array.from({ length: endpoints }, (_, i) => `ep-${i}`),
    vmcps: Array.from({ length: vmcps }, (_, i) => `vmcp-${i}`),
    endpointTarget: endpoints,
    vmcpTarget: vmcps,
    nextEndpoint: endpoints,
    nextVmcp: vmcps,
  };
  const seen = { endpoints: [] as number[], vmcps: [] as number[], kinds: new Set<Mutation['kind']>() };
  for (let i = 0; i < changes; i++) {
    const m = nextMutation(rng, state);
    seen.kinds.add(m.kind);
    if (m.kind === 'createEndpoint') state.endpoints.push(`ep-${state.nextEndpoint++}`);
    if (m.kind === 'deleteEndpoint') state.endpoints = state.endpoints.filter((n) => n !== m.name);
    if (m.kind === 'createVmcp') state.vmcps.push(`vmcp-${state.nextVmcp++}`);
    if (m.kind === 'deleteVmcp') state.vmcps = state.vmcps.filter((n) => n !== m.name);
    seen.endpoints.push(state.endpoints.length);
    seen.vmcps.push(state.vmcps.length);
  }
  return seen;
}

describe('scenario size', () => {
  // A simulated day has about 2,700 changes (one every 5-60 s); three days here.
  it.each([1, 2, 3])(
    'seed %i: 200 endpoints and 3 VirtualMCPServers stay near those counts for 8,000 changes',
    (seed) => {
      const seen = walk(seed, 200, 3, 8000);
      expect(Math.min(...seen.endpoints)).toBeGreaterThan(140);
      expect(Math.max(...seen.endpoints)).toBeLessThan(260);
      expect(Math.max(...seen.vmcps)).toBeLessThan(15);
      expect([...seen.kinds].sort()).toEqual([
        'compact',
        'createEndpoint',
        'createGroup',
        'createVmcp',
        'deleteEndpoint',
        'deleteGroup',
        'deleteVmcp',
        'moveEndpoint',
        'moveVmcp',
      ]);
    },
  );

  it('an empty world gets endpoints and VirtualMCPServers', () => {
    const seen = walk(4, 0, 0, 200);
    expect(Math.max(...seen.endpoints)).toBeGreaterThan(0);
    expect(Math.max(...seen.vmcps)).toBeGreaterThan(0);
  });
});
