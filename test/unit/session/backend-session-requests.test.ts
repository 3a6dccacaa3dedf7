// Callers on the hot path: a 404 for the session makes every caller wait for one shared re-initialization and retry
// once on the new connection; a backend that is backing off or unavailable fails fast.
import { describe, expect, it } from 'vitest';
import type { BackendConnection } from '../../../src/machines/backend-session-protocol.ts';
import {
  BackendSessionUnavailableError,
  waitForConnection,
  withBackendSession,
} from '../../../src/machines/backend-session-requests.ts';
import { createHarness, FakeConnection, failure } from './harness.ts';

const lost = () => failure('sessionLost', true, 'HTTP 404 for session', { status: 404 });

describe('withBackendSession', () => {
  it('retries each caller once on the re-initialized session; all callers share one re-initialization', async () => {
    const h = createHarness();
    await h.start();
    const first = h.ctx().connection;
    const seen: BackendConnection[] = [];
    const run = async (c: BackendConnection) => {
      seen.push(c);
      if (c === first) throw lost();
      return (c as FakeConnection).id;
    };
    const results = Promise.all([1, 2, 3].map(() => withBackendSession(h.actor, run)));
    await h.flush();
    const ids = await results;
    expect(h.callsOf('connect')).toHaveLength(2);
    expect(h.ctx().reinitializations).toBe(1);
    const second = h.ctx().connection as FakeConnection;
    expect(ids).toEqual([second.id, second.id, second.id]);
    // Three tries on the lost session, three retries on the new one, nothing more.
    expect(seen.filter((c) => c === first)).toHaveLength(3);
    expect(seen.filter((c) => c === second)).toHaveLength(3);
  });

  it('does not retry twice: a second 404 reaches the caller', async () => {
    const h = createHarness();
    await h.start();
    let tries = 0;
    const p = withBackendSession(h.actor, async () => {
      tries++;
      throw lost();
    });
    const rejected = expect(p).rejects.toMatchObject({ kind: 'sessionLost' });
    await h.flush();
    await rejected;
    expect(tries).toBe(2);
  });

  it('a run that throws synchronously is handled as one that rejects: a lost session is retried once, others reject', async () => {
    const h = createHarness();
    await h.start();
    const first = h.ctx().connection;
    let tries = 0;
    const retried = withBackendSession(h.actor, (c) => {
      tries++;
      if (c === first) throw lost();
      return Promise.resolve((c as FakeConnection).id);
    });
    await h.flush();
    expect(await retried).toBe((h.ctx().connection as FakeConnection).id);
    expect(tries).toBe(2);
    let call: Promise<unknown> | undefined;
    expect(() => {
      call = withBackendSession(h.actor, () => {
        throw new Error('not a promise');
      });
    }).not.toThrow();
    await expect(call).rejects.toThrow('not a promise');
    // A run that returns a plain value (no promise) is answered with it.
    expect(await withBackendSession(h.actor, () => 42 as unknown as Promise<number>)).toBe(42);
  });

  it('a ready session with an already aborted signal rejects with its reason and runs nothing', async () => {
    const h = createHarness();
    await h.start();
    let tries = 0;
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    const p = withBackendSession(
      h.actor,
      async () => {
        tries++;
        return 1;
      },
      { signal: controller.signal },
    );
    await expect(p).rejects.toThrow('caller gave up');
    expect(tries).toBe(0);
  });

  it('passes other errors through without touching the session', async () => {
    const h = createHarness();
    await h.start();
    await expect(
      withBackendSession(h.actor, async () => {
        throw failure('http', false, 'HTTP 400', { status: 400 });
      }),
    ).rejects.toThrow('HTTP 400');
    expect(h.callsOf('connect')).toHaveLength(1);
  });

  it('waits while the session is being established', async () => {
    const h = createHarness();
    const waiting = waitForConnection(h.actor);
    await h.start();
    await expect(waiting).resolves.toBe(h.ctx().connection);
  });

  it('fails fast while backing off instead of queueing behind the wait', async () => {
    const h = createHarness({ script: { connect: () => failure('network', true, 'ECONNREFUSED') } });
    await h.start();
    expect(h.value()).toBe('backoff');
    const error = await waitForConnection(h.actor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendSessionUnavailableError);
    expect((error as BackendSessionUnavailableError).phase).toBe('backoff');
    expect((error as Error).message).toMatch(
      /backend "b1" is not available \(backoff: retrying in \d+ ms .*ECONNREFUSED/,
    );
  });

  it('a reinitialization that fails rejects the waiting caller with the reason', async () => {
    let n = 0;
    const h = createHarness({
      script: { connect: () => (n++ === 0 ? new FakeConnection() : failure('network', true, 'ECONNREFUSED')) },
    });
    await h.start();
    const first = h.ctx().connection;
    const p = withBackendSession(h.actor, async (c) => {
      if (c === first) throw lost();
      return 'never';
    });
    const rejected = expect(p).rejects.toThrow(/ECONNREFUSED/);
    await h.flush();
    await rejected;
  });

  it('honours an abort signal while waiting', async () => {
    const h = createHarness({ script: { initialize: () => 'hang' } });
    await h.start();
    const ac = new AbortController();
    const p = waitForConnection(h.actor, { signal: ac.signal });
    ac.abort(new Error('caller gave up'));
    await expect(p).rejects.toThrow('caller gave up');
  });
});
