// What the gateway reports: state names, circuit, endpoint mapping, stable transition times.
import { describe, expect, it } from 'vitest';
import { buildBackendReport, sameBackends, sameSession, sessionStateOf } from '../../../src/api/vmcp/backend-status.ts';

const T1 = '2026-11-25T12:00:00Z';
const T2 = '2026-11-25T12:05:00Z';
const endpointOf = (b: string) => ({ search: 'search', 'docs-internal-1a2b3c4d': 'docs.internal' })[b];

describe('buildBackendReport', () => {
  it('maps gateway states to status states, marks an unavailable backend as an open circuit, and counts ready ones', () => {
    const r = buildBackendReport(
      [
        { name: 'search', type: 'direct', state: 'ready' },
        { name: 'docs-internal-1a2b3c4d', type: 'direct', state: 'unavailable', reason: '5 failures in a row' },
        { name: 'handwritten', type: 'proxy', state: 'excluded', reason: 'env FOO is not set' },
        { name: 'standby-one', type: 'direct', state: 'standby' },
      ],
      endpointOf,
      {},
      T1,
      'pod-0',
    );
    expect(r.backends).toEqual([
      {
        name: 'docs.internal',
        backend: 'docs-internal-1a2b3c4d',
        type: 'direct',
        state: 'Unavailable',
        circuit: 'Open',
        lastTransitionTime: T1,
        message: '5 failures in a row',
      },
      {
        name: 'handwritten',
        type: 'proxy',
        state: 'Failed',
        circuit: 'Closed',
        lastTransitionTime: T1,
        message: 'env FOO is not set',
      },
      { name: 'search', type: 'direct', state: 'Ready', circuit: 'Closed', lastTransitionTime: T1 },
    ]);
    expect(r.backendCount).toBe(1);
    expect([...r.sessions.keys()].sort()).toEqual(['docs.internal', 'search']);
    expect(r.sessions.get('search')).toEqual({
      state: 'Ready',
      circuit: 'Closed',
      lastTransitionTime: T1,
      reportedBy: 'pod-0',
    });
  });

  it('keeps lastTransitionTime while the state holds and moves it when the state changes', () => {
    const first = buildBackendReport([{ name: 'search', type: 'direct', state: 'ready' }], endpointOf, {}, T1, 'p');
    const previous = { backends: first.backends, sessions: first.sessions };
    const same = buildBackendReport(
      [{ name: 'search', type: 'direct', state: 'ready' }],
      endpointOf,
      previous,
      T2,
      'p',
    );
    expect(sameBackends(first.backends, same.backends)).toBe(true);
    expect(sameSession(first.sessions.get('search'), same.sessions.get('search'))).toBe(true);
    const moved = buildBackendReport(
      [{ name: 'search', type: 'direct', state: 'backoff' }],
      endpointOf,
      previous,
      T2,
      'p',
    );
    expect(moved.backends[0]).toMatchObject({ state: 'Backoff', lastTransitionTime: T2 });
    expect(sameBackends(first.backends, moved.backends)).toBe(false);
  });

  it('carries the negotiated revision into the backend entry and the endpoint session, only where the gateway has one', () => {
    const r = buildBackendReport(
      [
        { name: 'search', type: 'direct', state: 'ready', protocolVersion: '2026-07-28' },
        { name: 'docs-internal-1a2b3c4d', type: 'proxy', state: 'ready', protocolVersion: '2025-11-25' },
        { name: 'handwritten', type: 'direct', state: 'backoff', reason: 'connection refused' },
      ],
      endpointOf,
      {},
      T1,
      'pod-0',
    );
    expect(r.backends.map((b) => [b.name, b.protocolVersion])).toEqual([
      ['docs.internal', '2025-11-25'],
      ['handwritten', undefined],
      ['search', '2026-07-28'],
    ]);
    expect(r.backends.find((b) => b.name === 'handwritten')).not.toHaveProperty('protocolVersion');
    expect(r.sessions.get('search')).toEqual({
      state: 'Ready',
      circuit: 'Closed',
      lastTransitionTime: T1,
      protocolVersion: '2026-07-28',
      reportedBy: 'pod-0',
    });
    expect(r.sessions.get('docs.internal')?.protocolVersion).toBe('2025-11-25');
  });

  it('a change of revision alone is a change to write, and keeps lastTransitionTime (the state held)', () => {
    const legacy = buildBackendReport(
      [{ name: 'search', type: 'direct', state: 'ready', protocolVersion: '2025-11-25' }],
      endpointOf,
      {},
      T1,
      'p',
    );
    const modern = buildBackendReport(
      [{ name: 'search', type: 'direct', state: 'ready', protocolVersion: '2026-07-28' }],
      endpointOf,
      { backends: legacy.backends, sessions: legacy.sessions },
      T2,
      'p',
    );
    expect(sameBackends(legacy.backends, modern.backends)).toBe(false);
    expect(sameSession(legacy.sessions.get('search'), modern.sessions.get('search'))).toBe(false);
    expect(modern.backends[0]).toMatchObject({ protocolVersion: '2026-07-28', lastTransitionTime: T1 });
    expect(modern.sessions.get('search')).toMatchObject({ protocolVersion: '2026-07-28', lastTransitionTime: T1 });
  });

  it('does not report states a gateway has no business reporting', () => {
    expect(sessionStateOf('standby')).toBeNull();
    expect(sessionStateOf('closed')).toBeNull();
    expect(sessionStateOf('reinitializing')).toBe('Reinitializing');
  });

  it('cuts long messages to the CRD limit', () => {
    const r = buildBackendReport(
      [{ name: 'x', type: 'proxy', state: 'failed', reason: 'e'.repeat(5000) }],
      () => undefined,
      {},
      T1,
      'p',
    );
    expect(r.backends[0]?.message?.length).toBe(1024);
  });
});
