// What must hold for the simulated MCP backends once the faults stop.
import { aggregate } from '../gateway/aggregate.ts';
import type { Violation } from './invariants.ts';
import type { SimBackend } from './sim-backend.ts';

/**
 * After quiet time every backend session is ready with the backend's current tools, and the gateway's aggregation
 * of the ready sessions equals the union of those tools (prefixed by backend).
 */
export function checkBackendsSettled(
  backends: {
    backend: Pick<SimBackend, 'name' | 'tools'>;
    actor: { getSnapshot(): { value: unknown; context: unknown } };
  }[],
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

/**
 * The circuit breaker (RFC): a closed circuit opens on exactly the `threshold`-th consecutive failure; while open, a
 * half-open probe every interval, whose failure re-opens the circuit with the count past the threshold (that is not
 * a new opening); reaching `ready` closes it. Followed from the state values alone, so the check does not trust the
 * machine's own circuit bookkeeping.
 */
export class CircuitBreakerCheck {
  readonly #threshold: number;
  /** Actors whose circuit has opened and not yet closed again (by reaching ready). */
  readonly #open = new Set<string>();

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  /** `value` is the JSON of the actor's state value, `before` that of its previous one. */
  observe(id: string, before: string | undefined, value: string, failures: number | undefined): Violation[] {
    const unavailable = value.startsWith('{"unavailable"');
    if (value.includes('"ready"')) this.#open.delete(id);
    if (!unavailable || before?.startsWith('{"unavailable"')) return [];
    const reopened = this.#open.has(id);
    this.#open.add(id);
    if (reopened) {
      if (failures !== undefined && failures > this.#threshold) return [];
      return [
        { invariant: 'circuitOpensAfterExactly5', detail: `${id} re-opened the circuit after ${failures} failures` },
      ];
    }
    if (failures === this.#threshold) return [];
    return [{ invariant: 'circuitOpensAfterExactly5', detail: `${id} opened the circuit after ${failures} failures` }];
  }
}
