// What must hold for the simulated MCP backends once the faults stop.
import { aggregate } from '../gateway/aggregate.ts';
import type { Violation } from './invariants.ts';
import type { SimBackend } from './sim-backend.ts';

/**
 * After quiet time every backend session is ready with the backend's current tools, and the gateway's aggregation
 * of the ready sessions equals the union of those tools (prefixed by backend).
 */
export function checkBackendsSettled(
  backends: { backend: SimBackend; actor: { getSnapshot(): { value: unknown; context: unknown } } }[],
): Violation[] {
  const out: Violation[] = [];
  const inputs = [];
  for (const { backend, actor } of backends) {
    const snap = actor.getSnapshot();
    const value = JSON.stringify(snap.value);
    if (!value.includes('"ready"')) {
      out.push({ invariant: 'backendsSettleReady', detail: `${backend.name} is ${value} after quiet time` });
      continue;
    }
    const lists = (
      snap.context as { lists: { tools: { name: string }[]; resources: []; resourceTemplates: []; prompts: [] } }
    ).lists;
    const have = lists.tools.map((t: { name: string }) => t.name).sort();
    const want = backend.tools.map((t) => t.name).sort();
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      out.push({
        invariant: 'sessionListsMatchBackend',
        detail: `${backend.name}: session has ${have}, backend has ${want}`,
      });
    }
    inputs.push({ name: backend.name, lists: lists as never });
  }
  const view = aggregate(inputs, {
    conflictResolution: 'prefix',
    conflictResolutionConfig: { prefixFormat: '{backend}_', priorityOrder: [] },
    tools: [],
  });
  const union = backends.flatMap(({ backend }) => backend.tools.map((t) => `${backend.name}_${t.name}`)).sort();
  const aggregated = view.tools.map((t: { name: string }) => t.name).sort();
  if (!out.length && JSON.stringify(aggregated) !== JSON.stringify(union)) {
    out.push({ invariant: 'aggregateEqualsUnion', detail: `aggregated ${aggregated} != union ${union}` });
  }
  return out;
}
