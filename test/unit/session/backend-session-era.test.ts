// The era branch of the backend-session chart on a simulated clock with fake effects: a connection the probe found
// modern goes through server/discover and subscriptions/listen instead of initialize and the GET stream; the era is
// cached across sessions and forgotten (so the next connect probes) when the backend refuses the revision we spoke.
import { describe, expect, it } from 'vitest';
import {
  negotiatedRevision,
  sessionPhase,
  sessionReason,
  streamPhase,
} from '../../../src/machines/backend-session-status.ts';
import { createHarness, FakeConnection, failure, LEGACY, MODERN, modernSessionFor, sessionFor } from './harness.ts';

const refused = () => failure('unsupportedProtocol', false, 'the server refused 2026-07-28');

describe('backend session: the 2026-07-28 branch', () => {
  it('a modern connection is described by server/discover (no initialize) and listens with subscriptions/listen', async () => {
    const h = createHarness({ script: { connect: () => new FakeConnection(MODERN) } });
    const seen: unknown[] = [];
    h.actor.subscribe((s) => seen.push(s.value));
    await h.start();
    expect(seen).toContainEqual({ session: 'serverDiscover' });
    expect(seen).not.toContainEqual({ session: 'initializing' });
    expect(h.callsOf('initialize')).toHaveLength(0);
    expect(h.callsOf('serverDiscover')).toHaveLength(1);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.ctx().era).toEqual(MODERN);
    expect(h.streams.map((s) => s.kind)).toEqual(['listen']);
    h.streams[0]?.send({ type: 'stream.opened' });
    await h.flush();
    expect(streamPhase(h.actor.getSnapshot())).toBe('open');
  });

  it('a modern session has no session to lose: a session.lost report changes nothing', async () => {
    const h = createHarness({ script: { connect: () => new FakeConnection(MODERN) } });
    await h.start();
    h.actor.send({ type: 'session.lost', sessionId: undefined });
    await h.flush();
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.callsOf('connect')).toHaveLength(1);
  });

  it('a dropped listen stream is re-opened after the stream wait, never resumed', async () => {
    const h = createHarness({ script: { connect: () => new FakeConnection(MODERN) }, policy: { backoffJitter: 0 } });
    await h.start();
    h.streams[0]?.send({ type: 'stream.opened' });
    h.streams[0]?.send({ type: 'stream.ended', detail: 'dropped' });
    await h.flush();
    expect(streamPhase(h.actor.getSnapshot())).toBe('waiting');
    await h.advance(1000);
    expect(h.streams.map((s) => [s.kind, s.lastEventId])).toEqual([
      ['listen', undefined],
      ['listen', undefined],
    ]);
    expect(h.streams[1]?.at).toBe(1000);
  });
});

describe('backend session: the era cache', () => {
  it('forgets the era when a caller reports a refusal of the current revision, so the next connect probes', async () => {
    let n = 0;
    const h = createHarness({
      script: { connect: () => (n++ === 0 ? new FakeConnection(MODERN) : new FakeConnection()) },
      policy: { backoffJitter: 0 },
    });
    await h.start();
    // A stale report (a revision this session does not speak) is ignored.
    h.actor.send({ type: 'era.mismatch', protocolVersion: '2025-11-25' });
    await h.flush();
    expect(h.callsOf('connect')).toHaveLength(1);
    expect(h.callsOf('connect')[0]?.input).toMatchObject({ era: undefined });
    h.actor.send({ type: 'era.mismatch', protocolVersion: '2026-07-28' });
    await h.flush();
    // Forgotten: the next connect probes again (no cached era in its input).
    expect(h.callsOf('connect')).toHaveLength(2);
    expect(h.callsOf('connect')[1]?.input).toMatchObject({ era: undefined, cause: 'eraChanged' });
  });

  it('a cached era survives a failed attempt: the retry connects with it', async () => {
    let n = 0;
    const h = createHarness({
      script: {
        connect: () => (n++ === 0 ? new FakeConnection(MODERN) : new FakeConnection()),
        serverDiscover: (c, i) => (i === 0 ? failure('network', true, 'reset') : modernSessionFor(c)),
      },
      policy: { backoffJitter: 0 },
    });
    await h.start();
    expect(sessionPhase(h.actor.getSnapshot())).toBe('backoff');
    await h.advance(1000);
    expect(h.callsOf('connect')[1]?.input).toMatchObject({ era: MODERN, cause: 'retry' });
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
  });

  it('a cached legacy era refused at initialize is probed again once, not failed', async () => {
    let n = 0;
    const h = createHarness({
      script: {
        // First session legacy (found by the probe); the backend then becomes 2026-07-28-only.
        connect: () =>
          n++ === 0 ? new FakeConnection(LEGACY) : n === 2 ? new FakeConnection() : new FakeConnection(MODERN),
        initialize: (c, i) => (i === 0 ? sessionFor(c) : refused()),
      },
      policy: { backoffJitter: 0 },
    });
    await h.start();
    expect(h.ctx().era).toEqual(LEGACY);
    // The session is lost (404): re-initialization connects with the cached legacy era and initialize is refused.
    h.actor.send({ type: 'session.lost', sessionId: h.ctx().session?.sessionId });
    await h.flush();
    expect(h.callsOf('connect')[1]?.input).toMatchObject({ era: LEGACY });
    expect(h.callsOf('connect')[2]?.input).toMatchObject({ era: undefined, cause: 'eraChanged' });
    expect(h.ctx().era).toEqual(MODERN);
    expect(h.callsOf('serverDiscover')).toHaveLength(1);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
  });

  it('reports the revision agreed for the live session, follows an era change, and none while no session is ready', async () => {
    let n = 0;
    const h = createHarness({
      script: {
        connect: () => (n++ === 0 ? new FakeConnection(LEGACY) : new FakeConnection(MODERN)),
        initialize: (c) => sessionFor(c),
        serverDiscover: (c, i) => (i === 0 ? failure('network', true, 'reset') : modernSessionFor(c)),
      },
      policy: { backoffJitter: 0 },
    });
    expect(negotiatedRevision(h.actor.getSnapshot())).toBeUndefined();
    await h.start();
    expect(negotiatedRevision(h.actor.getSnapshot())).toBe('2025-11-25');
    // The backend now speaks only 2026-07-28: the refusal forgets the era; the first modern attempt fails (backoff).
    h.actor.send({ type: 'era.mismatch', protocolVersion: '2025-11-25' });
    await h.flush();
    expect(sessionPhase(h.actor.getSnapshot())).toBe('backoff');
    expect(negotiatedRevision(h.actor.getSnapshot())).toBeUndefined();
    await h.advance(1000);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(negotiatedRevision(h.actor.getSnapshot())).toBe('2026-07-28');
  });

  it('a refusal right after a fresh probe that lists only versions of the spoken era, none ours, is final', async () => {
    const h = createHarness({
      script: {
        connect: () => new FakeConnection(MODERN),
        serverDiscover: () =>
          failure('unsupportedProtocol', false, 'the server refused 2026-07-28', { supportedVersions: ['2027-01-01'] }),
      },
    });
    await h.start();
    expect(sessionPhase(h.actor.getSnapshot())).toBe('failed');
    expect(sessionReason(h.actor.getSnapshot())).toBe('the server refused 2026-07-28');
    expect(h.callsOf('connect')).toHaveLength(1);
  });

  it.each([
    ['without a list of versions', {}],
    ['naming a revision of the other era', { supportedVersions: ['2025-11-25'] }],
  ])('a refusal right after a fresh probe %s probes again at once (a redeploy between the two)', async (_, extra) => {
    let n = 0;
    const h = createHarness({
      script: {
        connect: () => (n++ === 0 ? new FakeConnection(MODERN) : new FakeConnection(LEGACY)),
        serverDiscover: () => failure('unsupportedProtocol', false, 'the server refused 2026-07-28', extra),
        initialize: (c) => sessionFor(c),
      },
    });
    await h.start();
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(negotiatedRevision(h.actor.getSnapshot())).toBe('2025-11-25');
    expect(h.callsOf('connect')).toHaveLength(2);
    expect(h.ctx().consecutiveFailures).toBe(0);
    expect(h.ctx().eraReprobed).toBe(false);
  });

  it('the same refusal after that second probe is final', async () => {
    const h = createHarness({
      script: {
        connect: () => new FakeConnection(LEGACY),
        initialize: () =>
          failure('unsupportedProtocol', false, 'it offers protocol versions 2026-07-28', {
            supportedVersions: ['2026-07-28'],
          }),
      },
    });
    await h.start();
    expect(sessionPhase(h.actor.getSnapshot())).toBe('failed');
    expect(h.callsOf('connect')).toHaveLength(2);
    expect(h.callsOf('initialize')).toHaveLength(2);
  });
});
