import { describe, expect, it } from 'vitest';
import { assign, createActor, SimulatedClock, setup, spawnChild } from 'xstate';
import { ActorDirectory } from '../../../src/runtime/inspection/actor-directory.ts';

const child = setup({
  types: {
    context: {} as { attempts: number; token: string; url: string },
    events: {} as { type: 'FAIL'; reason: string } | { type: 'OK' },
  },
  delays: { retry: 1000 },
}).createMachine({
  id: 'child',
  initial: 'connecting',
  context: { attempts: 0, token: 'sekrit-token-value', url: 'https://remote.example/mcp' },
  states: {
    connecting: {
      on: {
        FAIL: { target: 'backoff', actions: assign({ attempts: ({ context }) => context.attempts + 1 }) },
        OK: 'ready',
      },
    },
    backoff: { after: { retry: 'connecting' } },
    ready: {},
  },
});

const parent = setup({ actors: { child } }).createMachine({
  id: 'root',
  entry: spawnChild('child', { id: 'b1', systemId: 'backend:b1' }),
});

describe('ActorDirectory', () => {
  it('tracks machine actors by system id with state, safe context and timed transitions', () => {
    const clock = new SimulatedClock();
    const dir = new ActorDirectory({ now: () => clock.now() });
    const seen: string[] = [];
    dir.subscribe((rec) => seen.push(`${rec.id}=${JSON.stringify(rec.value)}`));
    const root = createActor(parent, { clock, inspect: dir.inspect }).start();
    const b1 = root.system.get('backend:b1');
    expect(dir.get('backend:b1')?.value).toBe('connecting');
    clock.increment(500);
    b1.send({ type: 'FAIL', reason: 'HTTP 503 from remote' });
    const rec = dir.get('backend:b1');
    expect(rec?.machine).toBe('child');
    expect(rec?.value).toBe('backoff');
    expect(rec?.context).toEqual({ attempts: 1, url: 'https://remote.example/mcp' });
    expect(JSON.stringify(rec)).not.toContain('sekrit');
    expect(rec?.transitions.at(-1)).toEqual({
      at: 500,
      event: 'FAIL',
      from: 'connecting',
      to: 'backoff',
      reason: 'HTTP 503 from remote',
    });
    clock.increment(1000);
    expect(dir.get('backend:b1')?.value).toBe('connecting');
    expect(dir.get('backend:b1')?.transitions.at(-1)?.at).toBe(1500);
    expect(seen).toContain('backend:b1="backoff"');
    root.stop();
  });

  it('keeps only the last N transitions and forgets removed actors', () => {
    const clock = new SimulatedClock();
    const dir = new ActorDirectory({ now: () => clock.now(), maxTransitions: 3 });
    const root = createActor(parent, { clock, inspect: dir.inspect }).start();
    const b1 = root.system.get('backend:b1');
    for (let i = 0; i < 5; i++) {
      b1.send({ type: 'FAIL', reason: `r${i}` });
      clock.increment(1000);
    }
    expect(dir.get('backend:b1')?.transitions).toHaveLength(3);
    dir.remove('backend:b1');
    expect(dir.list().map((r) => r.id)).not.toContain('backend:b1');
    root.stop();
  });

  it('keeps stopped actors for a look at how they ended, but only the most recent ones', () => {
    const clock = new SimulatedClock();
    const dir = new ActorDirectory({ now: () => clock.now(), maxStopped: 2 });
    const actors = ['a', 'b', 'c', 'd'].map((id) =>
      createActor(child, { clock, systemId: `backend:${id}`, inspect: dir.inspect }).start(),
    );
    for (const a of actors) a.stop();
    expect(dir.list().map((r) => [r.id, r.status])).toEqual([
      ['backend:c', 'stopped'],
      ['backend:d', 'stopped'],
    ]);
    const again = createActor(child, { clock, systemId: 'backend:e', inspect: dir.inspect }).start();
    expect(dir.list().map((r) => r.id)).toEqual(['backend:c', 'backend:d', 'backend:e']);
    again.stop();
    expect(dir.list().map((r) => r.id)).toEqual(['backend:d', 'backend:e']);
  });
});
