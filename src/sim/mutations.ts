// Applies one scripted change of the scenario to the in-memory API server, as a user with kubectl would.
import type { Rng } from '../runtime/random.ts';
import type { FakeApiServer } from './fake-apiserver.ts';
import { endpointObject, GROUP_VERSION, type Mutation, NS, R, vmcpObject } from './scenario.ts';

/** Throws what the API server would answer (a conflict, a rejected spec); the simulator logs it. */
export function applyMutation(api: FakeApiServer, m: Mutation, rng: Rng): void {
  switch (m.kind) {
    case 'createEndpoint':
      api.createNow(R.endpoint, endpointObject(rng, m.index));
      return;
    case 'deleteEndpoint':
      api.deleteNow(R.endpoint, NS, m.name);
      return;
    case 'moveEndpoint':
    case 'moveVmcp': {
      const resource = m.kind === 'moveEndpoint' ? R.endpoint : R.vmcp;
      const cur = api.peek(resource, NS, m.name);
      if (cur) api.updateNow(resource, { ...cur, spec: { ...(cur.spec as object), groupRef: m.group } }, 'main');
      return;
    }
    case 'deleteGroup':
      if (api.peek(R.group, NS, m.group)) api.deleteNow(R.group, NS, m.group);
      return;
    case 'createGroup':
      if (!api.peek(R.group, NS, m.group))
        api.createNow(R.group, {
          apiVersion: GROUP_VERSION,
          kind: 'MCPGroup',
          metadata: { name: m.group, namespace: NS },
          spec: {},
        });
      return;
    case 'createVmcp':
      api.createNow(R.vmcp, vmcpObject(rng, m.index));
      return;
    case 'deleteVmcp':
      api.deleteNow(R.vmcp, NS, m.name);
      return;
    case 'compact':
      api.compact();
  }
}
