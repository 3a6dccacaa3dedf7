import { describe, expect, it } from 'vitest';
import { fromPromise, setup } from 'xstate';
import { toChart, toMermaid } from '../../../src/viz/statechart.ts';

const machine = setup({
  actors: { connect: fromPromise(async () => 1) },
  delays: { backoff: 1000 },
  guards: { allowed: () => true },
}).createMachine({
  id: 'demo',
  initial: 'idle',
  states: {
    idle: { on: { GO: { target: 'busy', guard: 'allowed' } } },
    busy: { invoke: { id: 'connect', src: 'connect', onDone: 'ready', onError: 'backoff' } },
    backoff: { after: { backoff: 'busy', 60000: 'gone' } },
    ready: {
      type: 'parallel',
      on: { LOST: '#demo.idle' },
      states: {
        stream: { initial: 'open', states: { open: { on: { DROP: 'resuming' } }, resuming: { always: 'open' } } },
        lists: { initial: 'fresh', states: { fresh: {} } },
      },
    },
    gone: { type: 'final' },
  },
});

describe('toChart', () => {
  const chart = toChart(machine);
  it('lists every transition with a readable label, including invoke results, delays, guards and always', () => {
    const labels = chart.edges.map((e) => `${e.source} -> ${e.target}: ${e.label}`).sort();
    expect(labels).toEqual(
      [
        'demo.backoff -> demo.busy: after backoff',
        'demo.backoff -> demo.gone: after 60000 ms',
        'demo.busy -> demo.backoff: error: connect',
        'demo.busy -> demo.ready: done: connect',
        'demo.idle -> demo.busy: GO [allowed]',
        'demo.ready -> demo.idle: LOST',
        'demo.ready.stream.open -> demo.ready.stream.resuming: DROP',
        'demo.ready.stream.resuming -> demo.ready.stream.open: always',
      ].sort(),
    );
  });
  it('keeps the hierarchy, initial states and invocations', () => {
    expect(chart.root.initial).toBe('demo.idle');
    const ready = chart.root.children.find((c) => c.key === 'ready');
    expect(ready?.type).toBe('parallel');
    expect(ready?.children.map((c) => c.key)).toEqual(['stream', 'lists']);
    expect(chart.root.children.find((c) => c.key === 'busy')?.invokes).toEqual(['connect']);
  });
});

describe('toMermaid', () => {
  it('draws nested and parallel states and the edges', () => {
    const text = toMermaid(toChart(machine));
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(text).toContain('state "ready" as demo_ready {');
    expect(text).toMatch(/state "stream" as demo_ready_stream \{[\s\S]*\n {4}--\n {4}state "lists"/);
    expect(text).toContain('[*] --> demo_idle');
    expect(text).toContain('demo_gone --> [*]');
    expect(text).toContain('demo_idle --> demo_busy: GO [allowed]');
  });
  it('is deterministic', () => {
    expect(toMermaid(toChart(machine))).toBe(toMermaid(toChart(machine)));
  });
});

describe('toDot and activeStateIds', () => {
  it('renders to SVG with highlightable state ids', async () => {
    const { instance } = await import('@viz-js/viz');
    const { toDot, activeStateIds } = await import('../../../src/viz/dot.ts');
    const svg = (await instance()).renderString(toDot(toChart(machine)), { format: 'svg' });
    for (const id of ['demo.idle', 'demo.busy', 'demo.ready', 'demo.ready.stream.open', 'demo.gone']) {
      expect(svg).toContain(`id="s:${id}"`);
    }
    expect(activeStateIds('demo', { ready: { stream: 'open', lists: 'fresh' } })).toEqual([
      'demo.ready',
      'demo.ready.stream',
      'demo.ready.stream.open',
      'demo.ready.lists',
      'demo.ready.lists.fresh',
    ]);
  });
});
