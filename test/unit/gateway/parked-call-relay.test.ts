// Rounds of 2026-07-28 calls parked for their client's input, with the retry received by another process than the one
// holding the call (two "replicas" on one in-memory bus; session-store/gateway-redis-relay.test.ts and
// gateway-replicas.test.ts run the same through Redis): the retry is resumed where the call waits, its notifications
// and outcome come back, the state is good once and for its own principal and request, a holder that works long keeps
// the relay waiting, a holder that is gone or dies fails the retry clearly within the silence limit, a closed client
// cancels the call at the holder, and messages are bounded in size. A requestState not of the gateway's exact shape is
// relayed nowhere; relays are bounded in count, per principal and in bytes; a relaying process that shuts down
// cancels the calls it relayed (before it stops receiving), even one the holder has just parked again; a relaying
// process killed mid-call (it neither receives nor says anything any more) gets its call cancelled by the holder, once
// its messages have reached nobody for the silence limit, and not for one message missed (a subscription reconnecting
// or not yet confirmed, a late heartbeat's answer). Each replica counts how its relays ended, on both sides, and the
// relays in flight, through the one relay its metrics measure.
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayMetrics } from '../../../src/gateway/metrics.ts';
import { ParkedCallRelay, type ParkedCallRelayOptions } from '../../../src/gateway/modern/parked-call-relay.ts';
import { SuspendableCall, SuspendedCalls } from '../../../src/gateway/modern/suspended-calls.ts';
import { MemoryBus } from '../../../src/gateway/sessions/memory-store.ts';
import type { ParkedCallMessage, ParkedCallOutcome, SessionBus } from '../../../src/gateway/sessions/store.ts';
import { until } from '../../support/eventually.ts';

const logger = pino({ level: 'silent' });
const ask = { method: 'elicitation/create', params: { message: 'ok?' } };
/** Long enough that a loaded machine's timers do not look like a silent holder. */
const SILENCE_MS = 500;
const round = { subject: 'alice', method: 'tools/call', target: 'tools/call t' };

interface Replica {
  calls: SuspendedCalls;
  relay: ParkedCallRelay;
  metrics: GatewayMetrics;
}

const replicas: Replica[] = [];
afterEach(() => {
  for (const r of replicas.splice(0)) {
    r.relay.close();
    r.calls.closeAll();
  }
});

type Bounds = Pick<ParkedCallRelayOptions, 'maxBytes' | 'maxRelayedPerSubject' | 'maxBytesInFlight' | 'clock'>;

/** Time for when the relaying process was last heard of: it moves only when a test says so. */
function manualClock() {
  let now = 1_000_000;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function replica(bus: SessionBus | undefined, opts: Bounds = {}): Replica {
  const calls = new SuspendedCalls({ ttlMs: 60_000, max: 10 });
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  const relay = new ParkedCallRelay({
    calls,
    bus,
    logger,
    metrics,
    silenceMs: SILENCE_MS,
    render: (error) => ({ status: 200, error: { code: ErrorCode.InternalError, message: String(error) } }),
    ...opts,
  });
  const r = { calls, relay, metrics };
  replicas.push(r);
  return r;
}

/** A call parked at `at` on its first question; `after` runs once the question is answered, and gives the result. */
async function parkedAt(
  at: Replica,
  after: (call: SuspendableCall, answer: unknown) => Promise<unknown>,
  subject = round.subject,
) {
  const call = new SuspendableCall();
  call.start(async () => {
    const answer = await call.ask(ask, call.signal);
    return { answered: await after(call, answer) };
  });
  const outcome = await at.relay.settle(call, { ...round, subject });
  expect(outcome).toMatchObject({ kind: 'input', inputRequests: { q1: ask } });
  return { call, token: (outcome as Extract<ParkedCallOutcome, { kind: 'input' }>).requestState };
}

/** A call parked at `at` that, once answered, runs until it is aborted: `running()` says whether it has resumed. */
async function parkedUntilAborted(at: Replica) {
  let resumed: SuspendableCall | undefined;
  const { token } = await parkedAt(at, async (call) => {
    resumed = call;
    await new Promise((resolve) => call.signal.addEventListener('abort', resolve));
    return 'cancelled';
  });
  return { token, running: () => resumed };
}

/** How `r`'s relays ended, by outcome: those it relayed, or those it served for another process. */
async function counted(r: Replica, side: 'relayed' | 'served'): Promise<Record<string, number>> {
  const counter = side === 'relayed' ? r.metrics.parkedCallRelays : r.metrics.parkedCallRelaysServed;
  const { values } = await counter.get();
  return Object.fromEntries(values.filter((v) => v.value > 0).map((v) => [v.labels.outcome, v.value]));
}

/** `r`'s relays in flight, by side, as a scrape reads them. */
async function inFlight(r: Replica): Promise<Record<string, number>> {
  const { values } = await r.metrics.parkedCallRelaysInFlight.get();
  return Object.fromEntries(values.map((v) => [v.labels.side, v.value]));
}

const retryOf = (token: string, extra: Partial<typeof round> & { inputResponses?: unknown } = {}) => ({
  ...round,
  token,
  inputResponses: { q1: { action: 'accept', content: { ok: true } } },
  ...extra,
});

const resumeAt = (at: Replica, retry: ReturnType<typeof retryOf>, signal = new AbortController().signal) => {
  const notified: unknown[] = [];
  return { notified, outcome: at.relay.resume(retry, signal, (m) => notified.push(m)) };
};

describe('ParkedCallRelay: a retry received by another process than the one holding the call', () => {
  it('resumes the call where it waits, brings back its notifications and result, and honours the state once', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } };
    const { token } = await parkedAt(a, async (call, answer) => {
      call.notify(progress);
      return answer;
    });
    expect(token.startsWith(`mcpre-suspended:${a.calls.owner}.`)).toBe(true);
    const atB = resumeAt(b, retryOf(token));
    expect(await atB.outcome).toEqual({
      kind: 'result',
      result: { answered: { action: 'accept', content: { ok: true } } },
    });
    expect(atB.notified).toEqual([progress]);
    expect(a.calls.size).toBe(0);
    const again = await resumeAt(b, retryOf(token)).outcome;
    expect(again).toMatchObject({ kind: 'error', error: { code: ErrorCode.InvalidParams } });
    expect(JSON.stringify(again)).toContain('unknown, expired, already used');
    // Both rounds were answered by the holder, the refusal too.
    expect(await counted(b, 'relayed')).toEqual({ answered: 2 });
    await until('A counted both', async () => (await counted(a, 'served')).answered === 2);
    expect(await counted(a, 'served')).toEqual({ answered: 2 });
    expect(await inFlight(b)).toEqual({ relaying: 0, serving: 0 });
  });

  it("hands back the holder's next question with a requestState of the holder, and relays that retry too", async () => {
    const bus = new MemoryBus();
    const [a, b, c] = [replica(bus), replica(bus), replica(bus)];
    const { token } = await parkedAt(a, async (call) => call.ask({ method: 'roots/list' }, call.signal));
    const second = await resumeAt(b, retryOf(token)).outcome;
    expect(second).toMatchObject({ kind: 'input', inputRequests: { q2: { method: 'roots/list' } } });
    const next = (second as Extract<ParkedCallOutcome, { kind: 'input' }>).requestState;
    expect(next.startsWith(`mcpre-suspended:${a.calls.owner}.`)).toBe(true);
    const done = await resumeAt(c, retryOf(next, { inputResponses: { q2: { roots: [] } } })).outcome;
    expect(done).toEqual({ kind: 'result', result: { answered: { roots: [] } } });
  });

  it('refuses, at the holder, a retry by another principal or for another request, and keeps the call for its own', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    const { token } = await parkedAt(a, async (_call, answer) => answer);
    for (const wrong of [{ subject: 'mallory' }, { target: 'tools/call other' }]) {
      const refused = await resumeAt(b, retryOf(token, wrong)).outcome;
      expect(refused).toMatchObject({ kind: 'error', error: { code: ErrorCode.InvalidParams } });
    }
    expect(a.calls.size).toBe(1);
    expect(await resumeAt(b, retryOf(token)).outcome).toMatchObject({ kind: 'result' });
  });

  it('keeps waiting while the holder works longer than the silence limit (it says it is alive)', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    // The backend's work after the answer takes several silence limits: only the holder's heartbeats keep it alive.
    const { token } = await parkedAt(a, async (_call, answer) => {
      await new Promise((resolve) => setTimeout(resolve, 3 * SILENCE_MS));
      return answer;
    });
    expect(await resumeAt(b, retryOf(token)).outcome).toMatchObject({ kind: 'result' });
  });

  it('fails the retry at once when the holder is gone (no process receives for it)', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    const { token } = await parkedAt(a, async (_call, answer) => answer);
    // A's process ends: nothing of it hears the bus any more.
    a.relay.close();
    const lost = await resumeAt(b, retryOf(token)).outcome;
    expect(lost).toMatchObject({ kind: 'error', status: 200, error: { code: ErrorCode.InvalidParams } });
    // Not the silence limit's answer: the bus said at once that nobody holds it.
    expect(JSON.stringify(lost)).toMatch(
      /unknown or lost \(no gateway replica holds it\); send the request again without requestState and inputResponses/,
    );
    expect(await counted(b, 'relayed')).toEqual({ 'holder-gone': 1 });
  });

  it('fails the retry at once, and counts it, when the session store cannot be reached', async () => {
    const bus = new MemoryBus();
    const a = replica(bus);
    const b = replica({ ...busOf(bus), sendTo: () => Promise.reject(new Error('connection refused')) });
    const { token } = await parkedAt(a, async (_call, answer) => answer);
    const lost = await resumeAt(b, retryOf(token)).outcome;
    expect(lost).toMatchObject({ kind: 'error', error: { code: ErrorCode.InvalidParams } });
    expect(JSON.stringify(lost)).toContain('the session store, through which gateway replicas reach each other');
    expect(await counted(b, 'relayed')).toEqual({ 'store-unreachable': 1 });
  });

  it('relays no requestState that is not exactly of the shape the gateway mints', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    const { token } = await parkedAt(a, async (_call, answer) => answer);
    const sent = vi.spyOn(bus, 'sendTo');
    const secret = token.slice(token.indexOf('.') + 1);
    const forged = [
      `mcpre-suspended:${'x'.repeat(4096)}.${secret}`,
      `mcpre-suspended:${a.calls.owner}0.${secret}`,
      `mcpre-suspended:${a.calls.owner.toUpperCase()}.${secret}`,
      `mcpre-suspended:${a.calls.owner}.${secret}x`,
      `mcpre-suspended:${a.calls.owner}.${secret.slice(1)}`,
    ];
    for (const state of forged) {
      expect(await resumeAt(b, retryOf(state)).outcome).toMatchObject({
        kind: 'error',
        error: { code: ErrorCode.InvalidParams, message: expect.stringContaining('unknown, expired') },
      });
    }
    expect(sent).not.toHaveBeenCalled();
    expect(await resumeAt(b, retryOf(token)).outcome).toMatchObject({ kind: 'result' });
    expect(sent).toHaveBeenCalled();
  });

  it('bounds the relays waiting per principal and in bytes, and frees their room when they end', async () => {
    const bus = new MemoryBus();
    const a = replica(bus);
    const b = replica(bus, { maxRelayedPerSubject: 2, maxBytesInFlight: 3 * 1024 });
    const gate = Promise.withResolvers<void>();
    const held = async (_call: SuspendableCall, answer: unknown) => {
      await gate.promise;
      return answer;
    };
    const alice = await Promise.all([parkedAt(a, held), parkedAt(a, held), parkedAt(a, held)]);
    const bob = await Promise.all([parkedAt(a, held, 'bob'), parkedAt(a, held, 'bob')]);
    const waiting = [resumeAt(b, retryOf(alice[0].token)).outcome, resumeAt(b, retryOf(alice[1].token)).outcome];
    const third = await resumeAt(b, retryOf(alice[2].token)).outcome;
    expect(third).toMatchObject({ kind: 'error', error: { code: ErrorCode.InternalError } });
    expect(JSON.stringify(third)).toContain('2 retries of this principal already');
    // Another principal is not held up by alice's relays, until the bytes in flight are the bound.
    const big = { inputResponses: { q1: { action: 'accept', content: { pad: 'p'.repeat(1200) } } }, subject: 'bob' };
    waiting.push(resumeAt(b, retryOf(bob[0].token, big)).outcome);
    const tooMany = await resumeAt(b, retryOf(bob[1].token, big)).outcome;
    expect(JSON.stringify(tooMany)).toContain(`${3 * 1024} bytes of retries already`);
    gate.resolve();
    for (const outcome of await Promise.all(waiting)) expect(outcome).toMatchObject({ kind: 'result' });
    // The refused retries left their calls parked: with the room freed, they go through.
    expect(await resumeAt(b, retryOf(alice[2].token)).outcome).toMatchObject({ kind: 'result' });
    expect(await resumeAt(b, retryOf(bob[1].token, big)).outcome).toMatchObject({ kind: 'result' });
    expect(await counted(b, 'relayed')).toEqual({ refused: 2, answered: 5 });
  });

  it('fails the retry when the holder goes silent while the call runs, and cancels the call there', async () => {
    const bus = new MemoryBus();
    let holderAlive = true;
    // The holder's messages stop reaching the bus, as when its process is killed mid-call (or stuck: then it still
    // hears the cancellation).
    const holderBus = quietBus(bus, () => !holderAlive);
    const a = replica(holderBus);
    const b = replica(bus);
    const { token, running } = await parkedUntilAborted(a);
    const pending = resumeAt(b, retryOf(token)).outcome;
    await until('the holder works on the call', () => running() !== undefined);
    holderAlive = false;
    const lost = await pending;
    expect(JSON.stringify(lost)).toMatch(/the gateway replica holding it did not answer/);
    await until('the call given up at the holder too', () => running()?.signal.aborted === true);
    expect(await counted(b, 'relayed')).toEqual({ lost: 1 });
  });

  it("cancels the call at the holder when the retry's client closes its response", async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    const { token, running } = await parkedUntilAborted(a);
    const client = new AbortController();
    const pending = resumeAt(b, retryOf(token), client.signal).outcome;
    await until('the call runs at A', () => running() !== undefined);
    client.abort();
    expect(await pending).toMatchObject({ kind: 'error', error: { message: expect.stringMatching(/cancelled/) } });
    await until('the call cancelled at A', () => running()?.signal.aborted === true);
    expect(await counted(b, 'relayed')).toEqual({ cancelled: 1 });
    await until('A counted it', async () => (await counted(a, 'served')).cancelled === 1);
    expect(await counted(a, 'served')).toEqual({ cancelled: 1 });
  });

  it('bounds what one process hands another: a too large retry or answer fails clearly', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus, { maxBytes: 4096 }), replica(bus, { maxBytes: 4096 })];
    const { token } = await parkedAt(a, async () => 'x'.repeat(8192));
    const tooLarge = await resumeAt(b, retryOf(token, { inputResponses: { q1: { pad: 'y'.repeat(8192) } } })).outcome;
    expect(tooLarge).toMatchObject({ kind: 'error', error: { code: ErrorCode.InvalidParams } });
    expect(JSON.stringify(tooLarge)).toContain('larger than the 4096 bytes');
    // Refused before it left B: the call still waits at A, and its answer is the one too large to hand back.
    const answer = await resumeAt(b, retryOf(token)).outcome;
    expect(answer).toMatchObject({ kind: 'error', error: { code: ErrorCode.InternalError } });
    expect(JSON.stringify(answer)).toContain('larger than the 4096 bytes');
    expect(await counted(b, 'relayed')).toEqual({ refused: 1, answered: 1 });
  });

  it('answers a token of another process as unknown, at once, when there is no bus to reach it', async () => {
    const bus = new MemoryBus();
    const a = replica(bus);
    const alone = replica(undefined);
    const { token } = await parkedAt(a, async (_call, answer) => answer);
    expect(await resumeAt(alone, retryOf(token)).outcome).toMatchObject({
      kind: 'error',
      error: { code: ErrorCode.InvalidParams, message: expect.stringContaining('unknown, expired') },
    });
  });

  it('cancels at the holder the calls it relayed when the relaying process shuts down', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    const { token, running } = await parkedUntilAborted(a);
    const pending = resumeAt(b, retryOf(token)).outcome;
    await until('the call runs at A', () => running() !== undefined);
    b.relay.close();
    expect(await pending).toMatchObject({ kind: 'error', error: { message: 'the gateway is shutting down' } });
    await until('the call cancelled at A', () => running()?.signal.aborted === true);
    expect(await counted(b, 'relayed')).toEqual({ shutdown: 1 });
  });

  it('cancels at the holder a call whose relaying process was killed mid-call: its messages reach nobody', async () => {
    const bus = new MemoryBus();
    const relayer = killable(bus);
    const clock = manualClock();
    const holder = answers(busOf(bus));
    const a = replica(holder.bus, { clock });
    const b = replica(relayer.bus);
    const { token, running } = await parkedUntilAborted(a);
    const pending = resumeAt(b, retryOf(token)).outcome;
    await until('the call runs at A', () => running() !== undefined);
    expect(await inFlight(a)).toEqual({ relaying: 0, serving: 1 });
    expect(await inFlight(b)).toEqual({ relaying: 1, serving: 0 });
    // B neither receives nor sends any more: not even the cancellation its silence limit would send.
    relayer.kill();
    // Heartbeats reaching nobody within the silence limit of the last one B received: B may be only reconnecting.
    await until('a heartbeat reached nobody', () => holder.missed('alive') >= 1);
    expect(running()?.signal.aborted).toBe(false);
    clock.advance(SILENCE_MS);
    await until('the call cancelled at A', () => running()?.signal.aborted === true);
    // The call's own signal says why, as the backend's cancellation does.
    expect(running()?.signal.reason).toMatchObject({ message: 'the gateway replica relaying the retry is gone' });
    await until('A counted it', async () => (await counted(a, 'served'))['relayer-gone'] === 1);
    expect(await counted(a, 'served')).toEqual({ 'relayer-gone': 1 });
    expect(await inFlight(a)).toEqual({ relaying: 0, serving: 0 });
    await pending;
  });

  it('cancels the call the holder parked again when that answer reaches nobody (the relaying process was killed)', async () => {
    const bus = new MemoryBus();
    const relayer = killable(bus);
    // B dies just as the holder's answer of the round is on its way.
    const holderBus: SessionBus = {
      ...busOf(bus),
      sendTo: (address, ref, message) => {
        if (message.kind === 'done') relayer.kill();
        return bus.sendTo(address, ref, message);
      },
    };
    const holder = answers(holderBus);
    const clock = manualClock();
    const a = replica(holder.bus, { clock });
    const b = replica(relayer.bus);
    let second: Promise<unknown> | undefined;
    const { call, token } = await parkedAt(a, async (parked) => {
      second = parked.ask({ method: 'roots/list' }, parked.signal);
      return second;
    });
    const pending = resumeAt(b, retryOf(token)).outcome;
    // One answer reaching nobody soon after a heartbeat got through: sent once more when the silence limit has passed.
    await until("the round's answer reached nobody", () => holder.missed('done') === 1);
    expect(call.signal.aborted).toBe(false);
    clock.advance(SILENCE_MS);
    await until('the call parked again at A is cancelled', () => call.signal.aborted);
    expect(holder.missed('done')).toBe(2);
    expect(a.calls.size).toBe(0);
    await expect(second).rejects.toThrow(/relaying the retry is gone/);
    expect(await counted(a, 'served')).toEqual({ 'relayer-gone': 1 });
    await pending;
  });

  it('cancels the call the holder parked again when the relay gave up just before that answer came', async () => {
    const bus = new MemoryBus();
    // The holder's answer of the round is late: the relay's silence limit passes first.
    const holderBus = quietBus(bus, (message) => message.kind === 'done');
    const a = replica(holderBus);
    const b = replica(bus);
    let second: Promise<unknown> | undefined;
    const { call, token } = await parkedAt(a, async (parked) => {
      second = parked.ask({ method: 'roots/list' }, parked.signal);
      return second;
    });
    const lost = await resumeAt(b, retryOf(token)).outcome;
    expect(JSON.stringify(lost)).toMatch(/did not answer within/);
    await until('the call parked again at A is cancelled', () => call.signal.aborted);
    expect(a.calls.size).toBe(0);
    await expect(second).rejects.toThrow(/closed the response stream/);
  });

  it('goes on with the call when one message to the relaying process reaches nobody (its subscription not yet up)', async () => {
    const bus = new MemoryBus();
    // B relayed before its own subscription was confirmed: the holder's first "alive" reaches nobody, the next ones do.
    let dropped = 0;
    const holderBus: SessionBus = {
      ...busOf(bus),
      sendTo: (address, ref, message) => {
        if (message.kind === 'alive' && dropped === 0) {
          dropped++;
          return Promise.resolve(false);
        }
        return bus.sendTo(address, ref, message);
      },
    };
    const a = replica(holderBus, { clock: manualClock() });
    const b = replica(bus);
    const gate = Promise.withResolvers<void>();
    let resumed: SuspendableCall | undefined;
    const { token } = await parkedAt(a, async (call, answer) => {
      resumed = call;
      await gate.promise;
      return answer;
    });
    const pending = resumeAt(b, retryOf(token)).outcome;
    await until('the first "alive" reached nobody, and the call runs', () => dropped === 1 && resumed !== undefined);
    expect(resumed?.signal.aborted).toBe(false);
    gate.resolve();
    expect(await pending).toMatchObject({ kind: 'result' });
    await until('A counted it', async () => (await counted(a, 'served')).answered === 1);
    expect(await counted(a, 'served')).toEqual({ answered: 1 });
  });

  it('keeps the call parked again when a heartbeat sent before the answer is answered "nobody" after it', async () => {
    const bus = new MemoryBus();
    // The first heartbeat's answer comes late, after the round's answer reached B (and says nobody received it).
    const answerSent = Promise.withResolvers<void>();
    let stale: 'pending' | 'answered' | undefined;
    const holderBus: SessionBus = {
      ...busOf(bus),
      sendTo: async (address, ref, message) => {
        if (message.kind === 'alive' && stale === undefined) {
          stale = 'pending';
          await answerSent.promise;
          stale = 'answered';
          return false;
        }
        const delivered = await bus.sendTo(address, ref, message);
        if (message.kind === 'done') answerSent.resolve();
        return delivered;
      },
    };
    const a = replica(holderBus, { clock: manualClock() });
    const b = replica(bus);
    const { call, token } = await parkedAt(a, async (parked) => parked.ask({ method: 'roots/list' }, parked.signal));
    const second = await resumeAt(b, retryOf(token)).outcome;
    expect(second).toMatchObject({ kind: 'input', inputRequests: { q2: { method: 'roots/list' } } });
    await until('the stale heartbeat answered', () => stale === 'answered');
    expect(call.signal.aborted).toBe(false);
    const next = (second as Extract<ParkedCallOutcome, { kind: 'input' }>).requestState;
    const done = await resumeAt(b, retryOf(next, { inputResponses: { q2: { roots: [] } } })).outcome;
    expect(done).toEqual({ kind: 'result', result: { answered: { roots: [] } } });
  });

  it('sends the cancels of a shutdown while the relaying process still receives', async () => {
    const bus = new MemoryBus();
    const order: string[] = [];
    const relayerBus: SessionBus = {
      ...busOf(bus),
      sendTo: (address, ref, message) => {
        order.push(message.kind);
        return bus.sendTo(address, ref, message);
      },
      receive: (address, listener) => {
        const off = bus.receive(address, listener);
        return () => {
          order.push('unsubscribed');
          off();
        };
      },
    };
    const a = replica(bus);
    const b = replica(relayerBus);
    const { token, running } = await parkedUntilAborted(a);
    const pending = resumeAt(b, retryOf(token)).outcome;
    await until('the call runs at A', () => running() !== undefined);
    b.relay.close();
    expect(order).toEqual(['retry', 'cancel', 'unsubscribed']);
    await pending;
    await until('A counted the cancellation', async () => (await counted(a, 'served')).cancelled === 1);
  });

  it('refuses a second relay measured by the same metrics (the gauge would show one of them as all)', () => {
    const a = replica(new MemoryBus());
    const again = () =>
      new ParkedCallRelay({
        calls: new SuspendedCalls(),
        logger,
        metrics: a.metrics,
        render: (error) => ({ status: 200, error: { code: ErrorCode.InternalError, message: String(error) } }),
      });
    expect(again).toThrow(/already measured/);
  });
});

/** `bus` as the holder uses it, counting by kind the messages that reached nobody. */
function answers(bus: SessionBus) {
  const missed = new Map<string, number>();
  const view: SessionBus = {
    ...bus,
    sendTo: async (address, ref, message) => {
      const delivered = await bus.sendTo(address, ref, message);
      if (!delivered) missed.set(message.kind, (missed.get(message.kind) ?? 0) + 1);
      return delivered;
    },
  };
  return { bus: view, missed: (kind: ParkedCallMessage['kind']) => missed.get(kind) ?? 0 };
}

/** `bus` as one process uses it (each method bound, so a test can replace one). */
function busOf(bus: MemoryBus): SessionBus {
  return {
    publish: (signal) => bus.publish(signal),
    subscribe: (listener) => bus.subscribe(listener),
    sendTo: (address, ref, message) => bus.sendTo(address, ref, message),
    receive: (address, listener) => bus.receive(address, listener),
  };
}

/** `bus`, except that the messages `drop` picks vanish once sent (as from a holder killed or cut off mid-call). */
function quietBus(bus: MemoryBus, drop: (message: ParkedCallMessage) => boolean): SessionBus {
  return {
    ...busOf(bus),
    sendTo: (address, ref, message) => (drop(message) ? Promise.resolve(true) : bus.sendTo(address, ref, message)),
  };
}

/** `bus` for a process that `kill()` ends at once (SIGKILL): from then on it receives nothing and what it sends vanishes. */
function killable(bus: MemoryBus) {
  let dead = false;
  const offs: Array<() => void> = [];
  const view: SessionBus = {
    ...quietBus(bus, () => dead),
    receive: (address, listener) => {
      const off = bus.receive(address, listener);
      offs.push(off);
      return off;
    },
  };
  return {
    bus: view,
    kill: () => {
      dead = true;
      for (const off of offs) off();
    },
  };
}
