// A backend whose fingerprint changed (a rotated secret) gets a new session without a gap: the new backend takes the
// name at once, the aggregate keeps the old lists while it connects (calls route to it and wait), and the old backend
// is closed only once the new one settled, so requests already running on it can finish.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_OUTGOING_AUTH } from '../../../src/actors/mcp/auth/outgoing-auth.ts';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { Aggregator, type ListChangeKind } from '../../../src/gateway/aggregator.ts';
import { BackendSet, type DesiredBackend } from '../../../src/gateway/backend-set.ts';
import type { BackendSetup } from '../../../src/gateway/backend-setup.ts';
import { GatewayMetrics } from '../../../src/gateway/metrics.ts';
import { FakeBackend } from './fake-backend.ts';

const tool = (name: string) => ({ name, inputSchema: { type: 'object' as const } });

function aggregatorWithChanges() {
  const aggregator = new Aggregator({ config: validateGatewayConfig({}).aggregation, coalesceMs: 10 });
  const changes: Array<ReadonlySet<ListChangeKind>> = [];
  aggregator.onListChanged((kinds) => changes.push(kinds));
  return { aggregator, changes };
}

describe('Aggregator.replace', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps the name routable with the old lists while the new backend connects, and announces nothing unchanged', async () => {
    vi.useFakeTimers();
    const { aggregator, changes } = aggregatorWithChanges();
    const old = new FakeBackend('a');
    const other = new FakeBackend('b');
    aggregator.add(old);
    aggregator.add(other);
    old.set('ready', { tools: [tool('x')] });
    other.set('ready', { tools: [tool('y')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(changes).toHaveLength(1);

    const fresh = new FakeBackend('a');
    expect(aggregator.replace(fresh)).toBe(old);
    aggregator.flush();
    expect(aggregator.backend('a')).toBe(fresh);
    expect(aggregator.view.toolRoutes.get('a_x')?.backend).toBe('a');
    // The old one's changes no longer count.
    old.set('closed');
    aggregator.flush();
    expect(aggregator.view.tools.map((t) => t.name)).toEqual(['a_x', 'b_y']);
    fresh.set('ready', { tools: [tool('x')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(changes).toHaveLength(1);
    // From now on the new backend's own lists count.
    fresh.set('ready', { tools: [tool('x'), tool('z')] });
    await vi.advanceTimersByTimeAsync(10);
    expect(changes).toHaveLength(2);
    expect(aggregator.view.tools.map((t) => t.name)).toEqual(['a_x', 'a_z', 'b_y']);
  });

  it('drops the inherited names when the new backend fails to connect, and keeps none from a backend that was down', () => {
    const { aggregator } = aggregatorWithChanges();
    const old = new FakeBackend('a');
    aggregator.add(old);
    old.set('ready', { tools: [tool('x')] });
    const fresh = new FakeBackend('a');
    aggregator.replace(fresh);
    aggregator.flush();
    expect(aggregator.view.toolRoutes.has('a_x')).toBe(true);
    fresh.set('backoff');
    aggregator.flush();
    expect(aggregator.view.toolRoutes.has('a_x')).toBe(false);
    // Going back to connecting later does not bring the old lists back.
    fresh.set('connecting');
    aggregator.flush();
    expect(aggregator.view.toolRoutes.has('a_x')).toBe(false);

    const down = new FakeBackend('c');
    aggregator.add(down);
    down.set('backoff', { tools: [tool('stale')] });
    aggregator.replace(new FakeBackend('c'));
    aggregator.flush();
    expect(aggregator.view.tools.map((t) => t.name)).toEqual([]);
  });
});

describe('BackendSet: a changed fingerprint', () => {
  const setupOf = (name: string, type: 'direct' | 'proxy' = 'direct'): BackendSetup => ({
    info: { name, url: `http://${name}.test/mcp`, type, authMethod: 'unauthenticated' },
    transport: 'streamable-http',
    caPem: undefined,
    outgoing: NO_OUTGOING_AUTH,
  });
  const desired = (name: string, fingerprint: string, type: 'direct' | 'proxy' = 'direct'): DesiredBackend => ({
    name,
    type,
    result: { ok: true, setup: setupOf(name, type) },
    fingerprint,
  });

  function world(active = true) {
    const { aggregator, changes } = aggregatorWithChanges();
    const created: FakeBackend[] = [];
    const state = { active };
    const set = new BackendSet({
      aggregator,
      metrics: new GatewayMetrics(),
      logger: pino({ level: 'silent' }),
      createBackend: (setup) => {
        const b = new FakeBackend(setup.info.name, setup.info.type);
        created.push(b);
        return b;
      },
      active: () => state.active,
    });
    return { aggregator, changes, created, set, state };
  }

  it('hands the name to a new session at once, and closes the old one once the new one is ready', async () => {
    const { aggregator, created, set } = world();
    await set.apply([desired('a', 'v1'), desired('b', 'same')]);
    const [oldA, b] = created as [FakeBackend, FakeBackend];
    oldA.set('ready', { tools: [tool('x')] });
    b.set('ready', { tools: [tool('y')] });

    await set.apply([desired('a', 'v2'), desired('b', 'same')]);
    expect(created).toHaveLength(3);
    const newA = created[2] as FakeBackend;
    expect(aggregator.backend('a')).toBe(newA);
    expect(aggregator.backend('b')).toBe(b);
    aggregator.flush();
    expect(aggregator.view.toolRoutes.get('a_x')?.backend).toBe('a');
    // Requests already running on the old session may finish while the new one connects.
    expect(oldA.state).toBe('ready');
    newA.set('ready', { tools: [tool('x')] });
    await vi.waitFor(() => expect(oldA.state).toBe('closed'));
    expect(set.statuses()).toEqual([
      { name: 'a', type: 'direct', state: 'ready' },
      { name: 'b', type: 'direct', state: 'ready' },
    ]);
    await set.close();
  });

  it('closes the old session as well when the new one fails, and on close() while it waits', async () => {
    const { created, set } = world();
    await set.apply([desired('a', 'v1'), desired('p', 'v1', 'proxy')]);
    const [oldA, oldP] = created as [FakeBackend, FakeBackend];
    oldA.set('ready');
    oldP.set('ready');
    await set.apply([desired('a', 'v2'), desired('p', 'v2', 'proxy')]);
    const [newA] = created.slice(2) as [FakeBackend, FakeBackend];
    newA.set('backoff');
    await vi.waitFor(() => expect(oldA.state).toBe('closed'));
    // The proxy's replacement is still connecting: close() does not wait for it.
    expect(oldP.state).toBe('ready');
    await set.close();
    expect(oldP.state).toBe('closed');
    expect(created.every((b) => b.state === 'closed')).toBe(true);
  });

  it('keeps an unchanged backend, and on a standby replica replaces a direct backend without opening it', async () => {
    const { aggregator, created, set, state } = world();
    await set.apply([desired('a', 'v1')]);
    await set.apply([desired('a', 'v1')]);
    expect(created).toHaveLength(1);
    state.active = false;
    set.refresh();
    expect(aggregator.backend('a')).toBeUndefined();
    await set.apply([desired('a', 'v2')]);
    expect(created).toHaveLength(1);
    expect(set.statuses()).toEqual([
      { name: 'a', type: 'direct', state: 'standby', reason: 'this replica does not hold the Lease' },
    ]);
    await set.close();
  });
});
