import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { Aggregator, type ListChangeKind } from '../../../src/gateway/aggregator.ts';
import { FakeBackend } from './fake-backend.ts';

const tool = (name: string) => ({ name, inputSchema: { type: 'object' as const } });

function setup() {
  const aggregator = new Aggregator({ config: validateGatewayConfig({}).aggregation, coalesceMs: 10 });
  const changes: Array<ReadonlySet<ListChangeKind>> = [];
  aggregator.onListChanged((kinds) => changes.push(kinds));
  return { aggregator, changes };
}

describe('Aggregator', () => {
  afterEach(() => vi.useRealTimers());

  it('coalesces a burst of backend changes into one announcement per changed kind', async () => {
    vi.useFakeTimers();
    const { aggregator, changes } = setup();
    const a = new FakeBackend('a');
    const b = new FakeBackend('b');
    aggregator.add(a);
    aggregator.add(b);
    a.set('ready', { tools: [tool('x')] });
    b.set('ready', { tools: [tool('y')], prompts: [{ name: 'p' }] });
    a.set('ready', { tools: [tool('x'), tool('z')] });
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(10);
    expect(changes).toEqual([new Set(['tools', 'prompts'])]);
    expect(aggregator.view.tools.map((t) => t.name)).toEqual(['a_x', 'a_z', 'b_y']);
  });

  it('announces nothing when a backend re-initializes with the same lists, or a non-ready backend changes', async () => {
    vi.useFakeTimers();
    const { aggregator, changes } = setup();
    const a = new FakeBackend('a');
    aggregator.add(a);
    a.set('ready', { tools: [tool('x')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(changes).toHaveLength(1);
    // reinitializing (lists empty) then ready again with identical lists, inside one coalescing window
    a.set('reinitializing');
    a.set('ready', { tools: [tool('x')] });
    await vi.advanceTimersByTimeAsync(10);
    const c = new FakeBackend('c');
    aggregator.add(c);
    c.set('backoff', { tools: [tool('ignored')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(changes).toHaveLength(1);
  });

  it('drops a removed backend from the view and routes', async () => {
    vi.useFakeTimers();
    const { aggregator, changes } = setup();
    const a = new FakeBackend('a');
    aggregator.add(a);
    a.set('ready', { tools: [tool('x')], resources: [{ uri: 'file:///r', name: 'r' }] });
    aggregator.flush();
    expect(aggregator.view.toolRoutes.has('a_x')).toBe(true);
    aggregator.remove('a');
    aggregator.flush();
    expect(aggregator.view.toolRoutes.size).toBe(0);
    expect(changes.at(-1)).toEqual(new Set(['tools', 'resources']));
    // After removal, the backend's own changes no longer reach the aggregator.
    a.set('ready', { tools: [tool('back')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(aggregator.view.tools).toEqual([]);
  });

  it('reports tools dropped for their names once per change of that set, not once per recompute', async () => {
    vi.useFakeTimers();
    const reports: string[][] = [];
    const aggregator = new Aggregator({
      config: validateGatewayConfig({}).aggregation,
      coalesceMs: 10,
      onInvalidNames: (invalid) => reports.push(invalid.map((e) => `${e.backend} ${e.tool}`)),
    });
    const a = new FakeBackend('a');
    const b = new FakeBackend('b');
    aggregator.add(a);
    aggregator.add(b);
    a.set('ready', { tools: [tool('ok'), tool('bad\nname')] });
    await vi.advanceTimersByTimeAsync(10);
    // Another backend's change, and the same list sent again: the set is unchanged, nothing is reported.
    b.set('ready', { tools: [tool('y')] });
    await vi.advanceTimersByTimeAsync(10);
    a.set('ready', { tools: [tool('ok'), tool('bad\nname')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(reports).toEqual([['a "bad\\u000aname"']]);
    // A new list version without the bad name: reported once more, as empty, so a metric can drop back to zero.
    a.set('ready', { tools: [tool('ok')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(reports).toEqual([['a "bad\\u000aname"'], []]);
    expect(aggregator.view.tools.map((t) => t.name)).toEqual(['a_ok', 'b_y']);
  });

  it('refuses two backends with one name', () => {
    const { aggregator } = setup();
    aggregator.add(new FakeBackend('a'));
    expect(() => aggregator.add(new FakeBackend('a'))).toThrow(/already registered/);
  });
});
