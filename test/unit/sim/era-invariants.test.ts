// The 2026-07-28 invariants can fail: each is fed a trace that breaks it, and one that keeps it.
import { describe, expect, it } from 'vitest';
import { checkBackendsSettled } from '../../../src/sim/backend-invariants.ts';
import { checkWire, ListenReopenCheck, type WireRecord } from '../../../src/sim/era-invariants.ts';

const modernCall: WireRecord = {
  backend: 'b0',
  backendEra: 'modern',
  connectionEra: 'modern',
  what: 'tools/call',
  sessionId: undefined,
  lastEventId: undefined,
  afterRefusal: false,
};

describe('noSessionIdToModern', () => {
  it('holds for a 2026 request without session id or cursor', () => {
    expect(checkWire(modernCall)).toEqual([]);
  });

  it('fails when a 2026 connection carries a session id', () => {
    const [v] = checkWire({ ...modernCall, sessionId: 'b0-s1' });
    expect(v?.invariant).toBe('noSessionIdToModern');
    expect(v?.detail).toContain('Mcp-Session-Id b0-s1');
  });

  it('fails when a listen stream is resumed with Last-Event-ID', () => {
    const [v] = checkWire({ ...modernCall, what: 'listen', lastEventId: 'b0-s1-e3' });
    expect(v?.detail).toBe('b0: listen carried Last-Event-ID b0-s1-e3');
  });

  it('fails when a 2025 connection keeps sending its session id after the backend refused the revision', () => {
    const stale = { ...modernCall, connectionEra: 'legacy' as const, sessionId: 'b0-s1' };
    expect(checkWire(stale)).toEqual([]);
    expect(checkWire({ ...stale, afterRefusal: true })).toHaveLength(1);
    expect(checkWire({ ...stale, backendEra: 'legacy', afterRefusal: true })).toEqual([]);
  });
});

describe('listenStreamReopened', () => {
  it('fails when no listen attempt follows a broken stream within the longest wait', () => {
    const check = new ListenReopenCheck(30_000);
    check.broken('b0', 1000);
    expect(check.check(31_000)).toEqual([]);
    const [v] = check.check(31_001);
    expect(v?.invariant).toBe('listenStreamReopened');
    expect(v?.detail).toContain('b0');
    expect(check.check(100_000)).toEqual([]);
  });

  it('waits as long as a longer retry hint asks', () => {
    const check = new ListenReopenCheck(30_000);
    check.broken('b0', 0, 45_000);
    expect(check.check(45_000)).toEqual([]);
    expect(check.check(45_001)).toHaveLength(1);
  });

  it('holds when the stream is opened again, or the session left ready', () => {
    const check = new ListenReopenCheck(30_000);
    check.broken('b0', 0);
    check.broken('b1', 0);
    check.attempted('b0');
    check.left('b1');
    expect(check.check(60_000)).toEqual([]);
  });
});

describe('sessionListsMatchBackend (both eras)', () => {
  const tool = (name: string) => ({ name, inputSchema: { type: 'object' as const } });
  const session = (tools: string[]) => ({
    getSnapshot: () => ({
      value: { session: { ready: { stream: 'subscribed', lists: 'idle' } } },
      context: { lists: { tools: tools.map(tool), resources: [], resourceTemplates: [], prompts: [] } },
    }),
  });

  it('fails when a session missed a list change its backend made', () => {
    const backend = { name: 'b0', tools: ['tool0', 'tool1', 'tool2'].map(tool) };
    expect(checkBackendsSettled([{ backend, actor: session(['tool0', 'tool1']) }])).toEqual([
      { invariant: 'sessionListsMatchBackend', detail: 'b0: session has tool0,tool1, backend has tool0,tool1,tool2' },
    ]);
    expect(checkBackendsSettled([{ backend, actor: session(['tool2', 'tool0', 'tool1']) }])).toEqual([]);
  });
});
