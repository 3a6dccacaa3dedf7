// The backend-session chart on a simulated clock with fake effects: every number the RFC sets, proven by the times at
// which the machine starts its effects.
import { describe, expect, it } from 'vitest';
import { initializeFailure, malformedInitializeResult } from '../../../src/actors/mcp/connection.ts';
import { configError, httpError } from '../../../src/actors/mcp/errors.ts';
import { redirectDetail } from '../../../src/actors/mcp/http/status-detail.ts';
import { backendSessionMachine } from '../../../src/machines/backend-session.ts';
import { backoffDelayMs, DEFAULT_SESSION_POLICY, resolvePolicy } from '../../../src/machines/backend-session-policy.ts';
import { sessionPhase, streamPhase } from '../../../src/machines/backend-session-status.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { allCaps, createHarness, FakeConnection, failure, sessionFor, tool } from './harness.ts';

const noJitter = { backoffJitter: 0 };
const down = () => failure('network', true, 'connect ECONNREFUSED 127.0.0.1:1');

/** Gaps between consecutive connect attempts. */
function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

describe('backend session: connect, initialize, discover, ready', () => {
  it('tags session.ready alone as live, the tag owners read readiness from', () => {
    type Node = { path: string[]; tags: string[]; states: Record<string, Node> };
    const tagged: string[] = [];
    const walk = (node: Node) => {
      if (node.tags.includes('live')) tagged.push(node.path.join('.'));
      for (const child of Object.values(node.states)) walk(child);
    };
    walk(backendSessionMachine.root as unknown as Node);
    expect(tagged).toEqual(['session.ready']);
  });

  it('goes connecting -> initializing -> discovering -> ready and fetches only the advertised lists', async () => {
    const h = createHarness({
      script: {
        initialize: (c) => sessionFor(c, { tools: {}, prompts: {} }),
        fetchLists: (kinds) => ({ tools: kinds.includes('tools') ? [tool('a')] : [], prompts: [] }),
      },
    });
    const seen: unknown[] = [];
    h.actor.subscribe((s) => seen.push(s.value));
    await h.start();
    expect(seen).toContainEqual({ session: 'initializing' });
    expect(seen).toContainEqual({ session: 'discovering' });
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.callsOf('fetchLists')[0]?.input).toMatchObject({ kinds: ['tools', 'prompts'] });
    expect(h.ctx().lists.tools.map((t) => t.name)).toEqual(['a']);
    expect(h.emitted.filter((e) => e.type === 'lists.changed')).toHaveLength(1);
    // The GET stream is opened once ready, on the live connection, with no Last-Event-ID.
    expect(h.streams).toHaveLength(1);
    expect(h.streams[0]?.lastEventId).toBeUndefined();
    expect(streamPhase(h.actor.getSnapshot())).toBe('opening');
  });
});

describe('backend session: backoff (RFC: 1 s initial, doubling, 30 s cap, jitter)', () => {
  it('waits exactly 1 s before the first retry and doubles up to the 30 s cap (jitter off)', async () => {
    const h = createHarness({ script: { connect: () => down() }, policy: { ...noJitter, breakerThreshold: 100 } });
    await h.start();
    await h.advance(200_000);
    const times = h.callsOf('connect').map((c) => c.at);
    expect(gaps(times).slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('keeps every jittered wait within [0.8, 1] of its base, never above the cap', async () => {
    const h = createHarness({ script: { connect: () => down() }, policy: { breakerThreshold: 100 }, seed: 11 });
    await h.start();
    await h.advance(400_000);
    const waits = gaps(h.callsOf('connect').map((c) => c.at));
    expect(waits.length).toBeGreaterThan(10);
    waits.forEach((wait, i) => {
      const base = Math.min(1000 * 2 ** i, 30_000);
      expect(wait).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(wait).toBeLessThanOrEqual(base);
    });
    // The first wait is the RFC's 1 s less at most 20 % jitter, and jitter actually varies the waits.
    expect(waits[0]).toBeLessThanOrEqual(1000);
    expect(new Set(waits.slice(6).map((w) => w)).size).toBeGreaterThan(1);
  });

  it('draws the same waits from the same seed and different ones from another', async () => {
    const run = async (seed: number) => {
      const h = createHarness({ script: { connect: () => down() }, policy: { breakerThreshold: 100 }, seed });
      await h.start();
      await h.advance(200_000);
      return gaps(h.callsOf('connect').map((c) => c.at));
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    expect(await run(43)).not.toEqual(a);
  });

  it('backoffDelayMs is a pure function of step, policy and the generator', () => {
    const policy = resolvePolicy(noJitter);
    expect([0, 1, 2, 3, 4, 5, 6, 60].map((s) => backoffDelayMs(s, policy, seededRng(1)))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(DEFAULT_SESSION_POLICY).toMatchObject({ initialBackoffMs: 1000, maxBackoffMs: 30_000 });
  });

  it('lets an SSE retry field override exactly one wait', async () => {
    // Ready, the GET stream reports `retry: 2500`, then the backend goes away: the stream's reconnect waits 2500 ms
    // (the override) and the next one falls back to the backoff schedule.
    let online = true;
    const h = createHarness({
      script: { connect: () => (online ? new FakeConnection() : down()) },
      policy: { ...noJitter, breakerThreshold: 100 },
    });
    await h.start();
    const first = h.streams[0];
    first?.send({ type: 'stream.opened' });
    first?.send({ type: 'stream.eventId', id: 'e1' });
    first?.send({ type: 'stream.retry', ms: 2500 });
    first?.send({ type: 'stream.ended' });
    await h.flush();
    const endedAt = h.clock.now();
    await h.advance(2499);
    expect(h.streams).toHaveLength(1);
    await h.advance(1);
    expect(h.streams).toHaveLength(2);
    expect(h.streams[1]?.at).toBe(endedAt + 2500);
    // Resumed with the last event id.
    expect(h.streams[1]?.lastEventId).toBe('e1');
    expect(streamPhase(h.actor.getSnapshot())).toBe('resuming');
    // The override was used up: the next drop (no message in between) waits the backoff schedule's second step.
    h.streams[1]?.send({ type: 'stream.ended' });
    await h.flush();
    const secondEnd = h.clock.now();
    await h.advance(5000);
    expect((h.streams[2]?.at ?? 0) - secondEnd).toBe(2000);

    // A retry value belongs to its session: a session loss drops it with everything else.
    h.streams[2]?.send({ type: 'stream.retry', ms: 7000 });
    online = false;
    h.actor.send({ type: 'session.lost', sessionId: h.ctx().session?.sessionId });
    await h.flush();
    expect(h.value()).toBe('backoff');
    expect(h.ctx().waitMs).toBe(1000);
  });

  it('a retry field also sets the wait after a failed stream attempt, once', async () => {
    const h = createHarness({ policy: noJitter });
    await h.start();
    h.streams[0]?.send({ type: 'stream.opened' });
    h.streams[0]?.send({ type: 'stream.retry', ms: 4321 });
    h.streams[0]?.send({ type: 'stream.failed', failure: { kind: 'http', retryable: true, message: '503' } });
    await h.flush();
    expect(h.ctx().stream.waitMs).toBe(4321);
    expect(h.ctx().retryOverrideMs).toBeUndefined();
    await h.advance(4321);
    h.streams[1]?.send({ type: 'stream.failed', failure: { kind: 'http', retryable: true, message: '503' } });
    await h.flush();
    expect(h.ctx().stream.waitMs).toBe(2000);
  });
});

describe('backend session: circuit breaker (RFC: 5 consecutive failures, half-open probe every 60 s)', () => {
  it('opens after exactly 5 consecutive failed attempts, not 4', async () => {
    const h = createHarness({ script: { connect: () => down() }, policy: noJitter });
    await h.start();
    // Attempts at 0, 1 s, 3 s, 7 s: four failures, still backing off.
    await h.advance(7000);
    expect(h.callsOf('connect')).toHaveLength(4);
    expect(h.value()).toBe('backoff');
    expect(h.ctx().consecutiveFailures).toBe(4);
    // The fifth attempt (at 15 s) fails: circuit open, no backoff wait scheduled.
    await h.advance(8000);
    expect(h.callsOf('connect')).toHaveLength(5);
    expect(h.value()).toEqual({ unavailable: 'waiting' });
    expect(h.ctx().circuit).toBe('open');
    expect(h.ctx().circuitOpenings).toBe(1);
    expect(h.emitted.filter((e) => e.type === 'circuit.opened')).toHaveLength(1);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('unavailable');
  });

  it('probes every 60 s while open and closes the circuit when a probe succeeds', async () => {
    let healthy = false;
    const h = createHarness({
      script: { connect: () => (healthy ? new FakeConnection() : down()) },
      policy: noJitter,
    });
    await h.start();
    await h.advance(15_000);
    expect(h.value()).toEqual({ unavailable: 'waiting' });
    const openedAt = h.clock.now();
    await h.advance(59_999);
    expect(h.callsOf('connect')).toHaveLength(5);
    await h.advance(1);
    expect(h.callsOf('connect')).toHaveLength(6);
    expect(h.callsOf('connect')[5]?.at).toBe(openedAt + 60_000);
    expect(h.callsOf('connect')[5]?.input).toMatchObject({ cause: 'probe' });
    // The probe failed: exactly one attempt per minute.
    await h.advance(120_000);
    expect(h.callsOf('connect').map((c) => c.at)).toEqual([0, 1000, 3000, 7000, 15_000, 75_000, 135_000, 195_000]);
    expect(h.ctx().circuitOpenings).toBe(1);
    healthy = true;
    await h.advance(60_000);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.ctx()).toMatchObject({ circuit: 'closed', consecutiveFailures: 0, backoffStep: 0 });
  });

  it('a probe that connects but fails to initialize re-opens the circuit instead of backing off', async () => {
    let phase: 'down' | 'half' = 'down';
    const h = createHarness({
      script: {
        connect: () => (phase === 'down' ? down() : new FakeConnection()),
        initialize: () => failure('http', true, 'HTTP 502', { status: 502 }),
      },
      policy: noJitter,
    });
    await h.start();
    await h.advance(15_000);
    phase = 'half';
    await h.advance(60_000);
    expect(h.callsOf('initialize')).toHaveLength(1);
    expect(h.value()).toEqual({ unavailable: 'waiting' });
    expect(h.connections.every((c) => c.closed)).toBe(true);
  });

  it('counts GET stream failures toward the breaker (RFC: a stream that cannot be established)', async () => {
    const h = createHarness({ policy: noJitter });
    await h.start();
    for (let i = 0; i < 4; i++) {
      h.streams.at(-1)?.send({ type: 'stream.failed', failure: { kind: 'http', retryable: true, message: '502' } });
      await h.advance(20_000);
      expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    }
    h.streams.at(-1)?.send({ type: 'stream.failed', failure: { kind: 'http', retryable: true, message: '502' } });
    await h.flush();
    expect(h.value()).toEqual({ unavailable: 'waiting' });
    expect(h.connections[0]?.closed).toBe(true);
  });

  it('a GET stream that opens resets the failure count', async () => {
    const h = createHarness({ policy: noJitter });
    await h.start();
    for (let i = 0; i < 12; i++) {
      h.streams.at(-1)?.send({ type: 'stream.failed', failure: { kind: 'network', retryable: true, message: 'x' } });
      await h.advance(40_000);
      if (i % 3 === 2) h.streams.at(-1)?.send({ type: 'stream.opened' });
    }
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
  });
});

describe('backend session: HTTP 404 for the session -> reinitializing', () => {
  it('drops everything of the old session, re-initializes, re-discovers and reports only real changes', async () => {
    let generation = 0;
    const h = createHarness({
      script: {
        fetchLists: () =>
          generation === 0
            ? { tools: [tool('a'), tool('b')], resources: [], resourceTemplates: [] }
            : { tools: [tool('a'), tool('c')], resources: [], resourceTemplates: [] },
      },
    });
    await h.start();
    const old = h.ctx().connection as FakeConnection;
    const oldSession = h.ctx().session?.sessionId;
    h.streams[0]?.send({ type: 'stream.opened' });
    h.streams[0]?.send({ type: 'stream.eventId', id: 'old-1' });
    expect(h.emitted.filter((e) => e.type === 'lists.changed')).toHaveLength(1);

    generation = 1;
    const seen: unknown[] = [];
    h.actor.subscribe((s) => seen.push(s.value));
    h.actor.send({ type: 'session.lost', sessionId: oldSession });
    expect(h.value()).toBe('reinitializing');
    expect(h.ctx()).toMatchObject({ connection: undefined, session: undefined, cause: 'sessionLost' });
    expect(h.ctx().lists.tools).toEqual([]);
    expect(old.closed).toBe(true);
    expect(old.terminated).toBe(false); // the server already dropped it: no DELETE
    await h.flush();

    expect(seen[0]).toBe('reinitializing');
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.callsOf('connect')[1]?.input).toMatchObject({ cause: 'sessionLost' });
    expect(h.ctx().connection).not.toBe(old);
    expect(h.ctx().session?.sessionId).not.toBe(oldSession);
    expect(h.ctx().lists.tools.map((t) => t.name)).toEqual(['a', 'c']);
    expect(h.ctx().reinitializations).toBe(1);
    // The new GET stream never carries the old session's event id.
    expect(h.streams.at(-1)?.lastEventId).toBeUndefined();
    const changes = h.emitted.filter((e) => e.type === 'lists.changed');
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({ changed: ['tools'] });
  });

  it('does not tell the owner anything when the re-fetched lists are the same', async () => {
    const h = createHarness({ script: { fetchLists: () => ({ tools: [tool('a')] }) } });
    await h.start();
    h.actor.send({ type: 'session.lost', sessionId: h.ctx().session?.sessionId });
    await h.flush();
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.callsOf('fetchLists')).toHaveLength(2);
    expect(h.emitted.filter((e) => e.type === 'lists.changed')).toHaveLength(1);
  });

  it('ignores a loss reported for an older session id (one re-initialization per loss)', async () => {
    const h = createHarness();
    await h.start();
    const first = h.ctx().session?.sessionId;
    h.actor.send({ type: 'session.lost', sessionId: first });
    h.actor.send({ type: 'session.lost', sessionId: first });
    await h.flush();
    h.actor.send({ type: 'session.lost', sessionId: first });
    await h.flush();
    expect(h.callsOf('connect')).toHaveLength(2);
    expect(h.ctx().reinitializations).toBe(1);
  });

  it('re-initializes when the GET stream itself gets 404', async () => {
    const h = createHarness();
    await h.start();
    h.streams[0]?.send({ type: 'stream.failed', failure: { kind: 'sessionLost', retryable: true, message: '404' } });
    await h.flush();
    expect(h.callsOf('connect')).toHaveLength(2);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.ctx().consecutiveFailures).toBe(0);
  });

  it('backs off instead of spinning when a server drops every session before it is stable', async () => {
    const h = createHarness({ policy: { ...noJitter, stableAfterMs: 10_000 } });
    await h.start();
    h.actor.send({ type: 'session.lost', sessionId: h.ctx().session?.sessionId });
    await h.flush();
    expect(h.callsOf('connect')).toHaveLength(2); // first loss: at once
    h.actor.send({ type: 'session.lost', sessionId: h.ctx().session?.sessionId });
    await h.flush();
    expect(h.value()).toBe('backoff'); // lost again within 10 s: counted as a failed attempt
    expect(h.ctx().consecutiveFailures).toBe(1);
    await h.advance(1000);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    await h.advance(10_000); // stable now
    h.actor.send({ type: 'session.lost', sessionId: h.ctx().session?.sessionId });
    expect(h.value()).toBe('reinitializing');
  });
});

describe('backend session: GET stream', () => {
  it('treats 405 as "no stream offered": ready, no failure, no reconnection', async () => {
    const h = createHarness();
    await h.start();
    h.streams[0]?.send({ type: 'stream.unsupported', reason: 'HTTP 405 on GET' });
    await h.advance(600_000);
    expect(streamPhase(h.actor.getSnapshot())).toBe('unsupported');
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    expect(h.ctx().consecutiveFailures).toBe(0);
    expect(h.ctx().stream.unsupportedReason).toBe('HTTP 405 on GET');
    expect(h.streams).toHaveLength(1);
  });

  it('reopens without Last-Event-ID when the server sent no event ids, with backoff between idle reconnects', async () => {
    const h = createHarness({ policy: noJitter });
    await h.start();
    h.streams[0]?.send({ type: 'stream.opened' });
    h.streams[0]?.send({ type: 'stream.ended' });
    await h.advance(1000);
    expect(h.streams[1]?.lastEventId).toBeUndefined();
    expect(streamPhase(h.actor.getSnapshot())).toBe('opening');
    h.streams[1]?.send({ type: 'stream.opened' });
    h.streams[1]?.send({ type: 'stream.ended' });
    await h.advance(1999);
    expect(h.streams).toHaveLength(2);
    await h.advance(1);
    expect(h.streams).toHaveLength(3);
    // A stream that delivers messages resets the schedule.
    h.streams[2]?.send({ type: 'stream.opened' });
    h.streams[2]?.send({ type: 'stream.message' });
    h.streams[2]?.send({ type: 'stream.ended' });
    await h.advance(1000);
    expect(h.streams).toHaveLength(4);
    expect(h.ctx().consecutiveFailures).toBe(0);
  });
});

describe('backend session: list_changed', () => {
  it('re-fetches a list only when its capability advertised listChanged', async () => {
    let version = 0;
    const h = createHarness({
      script: {
        initialize: (c) => sessionFor(c, { tools: { listChanged: true }, prompts: {} }),
        fetchLists: (kinds) =>
          Object.fromEntries(kinds.map((k) => [k, k === 'tools' ? [tool(`t${version}`)] : []])) as never,
      },
    });
    await h.start();
    version = 1;
    h.actor.send({ type: 'notification.listChanged', kind: 'prompts' });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(1);
    expect(h.emitted).toContainEqual(
      expect.objectContaining({ type: 'notification.ignored', kind: 'prompts' }) as unknown,
    );
    h.actor.send({ type: 'notification.listChanged', kind: 'resources' });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(1);

    h.actor.send({ type: 'notification.listChanged', kind: 'tools' });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(2);
    expect(h.callsOf('fetchLists')[1]?.input).toMatchObject({ kinds: ['tools'] });
    expect(h.ctx().lists.tools.map((t) => t.name)).toEqual(['t1']);
    expect(h.emitted.filter((e) => e.type === 'lists.changed').at(-1)).toMatchObject({ changed: ['tools'] });
  });

  it('a resources list_changed re-fetches resources and templates', async () => {
    const h = createHarness({ script: { initialize: (c) => sessionFor(c, allCaps) } });
    await h.start();
    h.actor.send({ type: 'notification.listChanged', kind: 'resources' });
    await h.flush();
    expect(h.callsOf('fetchLists')[1]?.input).toMatchObject({ kinds: ['resources', 'resourceTemplates'] });
  });

  it('a failed re-fetch loses no change: its kinds stay dirty and are fetched again after a backoff', async () => {
    const h = createHarness({
      script: {
        fetchLists: (_kinds, n) =>
          n === 1 || n === 2 ? failure('network', true, 'reset') : { tools: [tool(`v${n}`)] },
      },
      policy: { backoffJitter: 0 },
    });
    await h.start();
    h.actor.send({ type: 'notification.listChanged', kind: 'tools' });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(2);
    expect(h.emitted.some((e) => e.type === 'lists.refreshFailed')).toBe(true);
    expect(h.ctx().dirty).toEqual(['tools']);
    await h.advance(999);
    expect(h.callsOf('fetchLists')).toHaveLength(2);
    await h.advance(1);
    // The second failure doubles the wait.
    expect(h.callsOf('fetchLists')).toHaveLength(3);
    await h.advance(1999);
    expect(h.callsOf('fetchLists')).toHaveLength(3);
    await h.advance(1);
    expect(h.callsOf('fetchLists')).toHaveLength(4);
    expect(h.ctx().lists.tools.map((t) => t.name)).toEqual(['v3']);
    expect(h.ctx().dirty).toEqual([]);
    expect(h.ctx().refreshStep).toBe(0);
  });

  it('notifications arriving mid-refresh cause exactly one more fetch after it', async () => {
    let release: ((lists: object) => void) | undefined;
    const h = createHarness({
      script: {
        fetchLists: (_kinds, n) =>
          n === 1 ? new Promise((resolve) => (release = resolve)) : { tools: [tool(`v${n}`)] },
      },
    });
    await h.start();
    h.actor.send({ type: 'notification.listChanged', kind: 'tools' });
    await h.flush();
    h.actor.send({ type: 'notification.listChanged', kind: 'tools' });
    h.actor.send({ type: 'notification.listChanged', kind: 'tools' });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(2);
    expect(h.ctx().dirty).toEqual(['tools']);
    release?.({ tools: [tool('v1')] });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(3);
    expect(h.ctx().lists.tools.map((t) => t.name)).toEqual(['v2']);
    expect(h.ctx().dirty).toEqual([]);
  });
});

describe('backend session: whatever the remote answers at initialize backs off, never ends the session', () => {
  // The errors the production transport throws for these answers (src/actors/mcp), not hand-made shapes.
  const answers = [
    { answer: '404', error: () => httpError(404, 'POST initialize', undefined) },
    {
      answer: '307 redirect',
      error: () =>
        httpError(307, 'POST initialize', redirectDetail('https://moved.example/mcp?key=k', new URL('http://a/mcp'))),
    },
    { answer: '400', error: () => httpError(400, 'POST initialize', 'JSON-RPC error -32600: bad request') },
    {
      answer: 'a malformed result',
      error: () => initializeFailure(malformedInitializeResult()),
    },
  ];

  it.each(answers)(
    '$answer on initialize: 1 s -> 30 s backoff, circuit after 5, a probe every 60 s',
    async ({ error }) => {
      let healthy = false;
      const h = createHarness({
        script: { initialize: (c) => (healthy ? sessionFor(c) : error()) },
        policy: noJitter,
      });
      await h.start();
      expect(h.value()).toBe('backoff');
      expect(h.ctx().lastFailure?.message).toBe(error().message);
      await h.advance(15_000);
      expect(h.callsOf('initialize').map((c) => c.at)).toEqual([0, 1000, 3000, 7000, 15_000]);
      expect(h.value()).toEqual({ unavailable: 'waiting' });
      await h.advance(120_000);
      expect(h.callsOf('initialize').map((c) => c.at)).toEqual([0, 1000, 3000, 7000, 15_000, 75_000, 135_000]);
      expect(h.actor.getSnapshot().status).toBe('active');
      // The server got fixed: the next probe establishes the session.
      healthy = true;
      await h.advance(60_000);
      expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
    },
  );

  it('names the redirect target (origin and path only) and says it is not followed', () => {
    const message = answers[1]!.error().message;
    expect(message).toBe(
      'POST initialize: HTTP 307 (redirected to https://moved.example/mcp; mcpre does not follow redirects; if the server moved, configure its new URL)',
    );
  });

  it('a 4xx while discovering backs off too', async () => {
    const h = createHarness({
      script: { fetchLists: (_, n) => (n === 0 ? httpError(400, 'POST tools/list', undefined) : { tools: [] }) },
      policy: noJitter,
    });
    await h.start();
    expect(h.value()).toBe('backoff');
    await h.advance(1000);
    expect(sessionPhase(h.actor.getSnapshot())).toBe('ready');
  });

  it('a bad local configuration at connect stays final: no attempt can succeed until the config changes', async () => {
    const h = createHarness({ script: { connect: () => configError('"x" is not a URL') } });
    await h.start();
    expect(h.value()).toBe('failed');
    await h.advance(3_600_000);
    expect(h.callsOf('connect')).toHaveLength(1);
  });
});

describe('backend session: non-retryable failures end in failed', () => {
  it('an unsupported protocol version fails with the versions the server offers, and never retries', async () => {
    const h = createHarness({
      script: {
        initialize: () =>
          failure(
            'unsupportedProtocol',
            false,
            'the server offers protocol versions 2026-07-28; mcpre speaks 2025-11-25, 2025-06-18, 2025-03-26',
            { supportedVersions: ['2026-07-28'] },
          ),
      },
    });
    await h.start();
    expect(h.value()).toBe('failed');
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.ctx().lastFailure).toMatchObject({ kind: 'unsupportedProtocol', supportedVersions: ['2026-07-28'] });
    expect(h.ctx().lastFailure?.message).toContain('2026-07-28');
    await h.advance(3_600_000);
    expect(h.callsOf('connect')).toHaveLength(1);
    expect(h.connections[0]?.closed).toBe(true);
  });
});

describe('backend session: timeouts and shutdown', () => {
  it('bounds each establishing step by stepTimeout on the actor clock', async () => {
    const h = createHarness({ script: { initialize: () => 'hang' }, policy: { ...noJitter, stepTimeoutMs: 30_000 } });
    await h.start();
    await h.advance(29_999);
    expect(h.value()).toEqual({ session: 'initializing' });
    await h.advance(1);
    expect(h.value()).toBe('backoff');
    expect(h.ctx().lastFailure).toMatchObject({ kind: 'timeout', message: 'initialize timed out after 30000 ms' });
  });

  it('close from ready DELETEs the session (terminate) and ends in closed', async () => {
    const h = createHarness();
    await h.start();
    const conn = h.ctx().connection as FakeConnection;
    h.actor.send({ type: 'close' });
    await h.flush();
    expect(h.value()).toBe('closed');
    expect(conn.terminated).toBe(true);
    expect(h.callsOf('terminate')).toHaveLength(1);
  });

  it('close while backing off stops at once without any effect', async () => {
    const h = createHarness({ script: { connect: () => down() } });
    await h.start();
    h.actor.send({ type: 'close' });
    await h.advance(100_000);
    expect(h.value()).toBe('closed');
    expect(h.callsOf('connect')).toHaveLength(1);
  });

  it('raises no actor errors across a run', async () => {
    const h = createHarness({ script: { connect: (n) => (n % 2 ? down() : new FakeConnection()) } });
    await h.start();
    h.actor.send({ type: 'session.lost', sessionId: h.ctx().session?.sessionId });
    await h.advance(100_000);
    expect(h.errors).toEqual([]);
  });
});

describe('backend session: list changes a stream gap may have missed', () => {
  it('re-fetches the announced lists when a stream opens without replay, not when it resumes', async () => {
    let version = 0;
    const h = createHarness({
      script: {
        initialize: (c) => sessionFor(c, { tools: { listChanged: true }, prompts: {} }),
        fetchLists: (kinds) => ({ tools: kinds.includes('tools') ? [tool(`t${version}`)] : [], prompts: [] }),
      },
      policy: noJitter,
    });
    await h.start();
    expect(h.callsOf('fetchLists')).toHaveLength(1);
    // The tools changed between discovery and the stream's opening: nothing on the stream says so.
    version = 1;
    h.streams[0]?.send({ type: 'stream.opened' });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(2);
    expect(h.callsOf('fetchLists')[1]?.input).toMatchObject({ kinds: ['tools'] });
    expect(h.ctx().lists.tools.map((t) => t.name)).toEqual(['t1']);
    // A resumed stream replays what it missed: no fetch of its own.
    h.streams[0]?.send({ type: 'stream.eventId', id: 'e1' });
    h.streams[0]?.send({ type: 'stream.ended' });
    await h.advance(1000);
    expect(h.streams[1]?.lastEventId).toBe('e1');
    h.streams[1]?.send({ type: 'stream.opened' });
    await h.flush();
    expect(h.callsOf('fetchLists')).toHaveLength(2);
  });
});
