// Rounds of 2026-07-28 calls parked for their client's input, with the retry received by another process than the one
// holding the call (two "replicas" on one in-memory bus; session-store/gateway-redis-relay.test.ts and
// gateway-replicas.test.ts run the same through Redis): the retry is resumed where the call waits, its notifications
// and outcome come back, the state is good once and for its own principal and request, a holder that works long keeps
// the relay waiting, a holder that is gone or dies fails the retry clearly within the silence limit, a closed client
// cancels the call at the holder, and messages are bounded in size.
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ParkedCallRelay } from '../../../src/gateway/modern/parked-call-relay.ts';
import { SuspendableCall, SuspendedCalls } from '../../../src/gateway/modern/suspended-calls.ts';
import { MemoryBus } from '../../../src/gateway/sessions/memory-store.ts';
import type { ParkedCallOutcome, SessionBus } from '../../../src/gateway/sessions/store.ts';
import { until } from '../../support/eventually.ts';

const logger = pino({ level: 'silent' });
const ask = { method: 'elicitation/create', params: { message: 'ok?' } };
const SILENCE_MS = 60;
const round = { subject: 'alice', method: 'tools/call', target: 'tools/call t' };

interface Replica {
  calls: SuspendedCalls;
  relay: ParkedCallRelay;
}

const replicas: Replica[] = [];
afterEach(() => {
  for (const r of replicas.splice(0)) {
    r.relay.close();
    r.calls.closeAll();
  }
});

function replica(bus: SessionBus | undefined, opts: { maxBytes?: number } = {}): Replica {
  const calls = new SuspendedCalls({ ttlMs: 60_000, max: 10 });
  const relay = new ParkedCallRelay({
    calls,
    bus,
    logger,
    silenceMs: SILENCE_MS,
    render: (error) => ({ status: 200, error: { code: ErrorCode.InternalError, message: String(error) } }),
    ...opts,
  });
  const r = { calls, relay };
  replicas.push(r);
  return r;
}

/** A call parked at `at` on its first question; `after` runs once the question is answered, and gives the result. */
async function parkedAt(at: Replica, after: (call: SuspendableCall, answer: unknown) => Promise<unknown>) {
  const call = new SuspendableCall();
  call.start(async () => {
    const answer = await call.ask(ask, call.signal);
    return { answered: await after(call, answer) };
  });
  const outcome = await at.relay.settle(call, round);
  expect(outcome).toMatchObject({ kind: 'input', inputRequests: { q1: ask } });
  return { call, token: (outcome as Extract<ParkedCallOutcome, { kind: 'input' }>).requestState };
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
      await new Promise((resolve) => setTimeout(resolve, 5 * SILENCE_MS));
      return answer;
    });
    expect(await resumeAt(b, retryOf(token)).outcome).toMatchObject({ kind: 'result' });
  });

  it('fails the retry clearly within the silence limit when the holder is gone', async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    const { token } = await parkedAt(a, async (_call, answer) => answer);
    // A's process ends: nothing of it hears the bus any more.
    a.relay.close();
    const started = Date.now();
    const lost = await resumeAt(b, retryOf(token)).outcome;
    expect(Date.now() - started).toBeLessThan(20 * SILENCE_MS);
    expect(lost).toMatchObject({ kind: 'error', status: 200, error: { code: ErrorCode.InvalidParams } });
    expect(JSON.stringify(lost)).toMatch(/lost.*send the request again without requestState and inputResponses/);
  });

  it('fails the retry when the holder goes silent while the call runs, and cancels the call there', async () => {
    const bus = new MemoryBus();
    let holderAlive = true;
    // The holder's messages stop reaching the bus, as when its process is killed mid-call (or stuck: then it still
    // hears the cancellation).
    const holderBus: SessionBus = {
      publish: (signal) => (holderAlive ? bus.publish(signal) : Promise.resolve()),
      subscribe: (listener) => bus.subscribe(listener),
    };
    const a = replica(holderBus);
    const b = replica(bus);
    let working: SuspendableCall | undefined;
    const { token } = await parkedAt(a, async (call) => {
      working = call;
      await new Promise((resolve) => call.signal.addEventListener('abort', resolve));
      return 'never';
    });
    const pending = resumeAt(b, retryOf(token)).outcome;
    await until('the holder works on the call', () => working !== undefined);
    holderAlive = false;
    const lost = await pending;
    expect(JSON.stringify(lost)).toMatch(/the gateway replica holding it did not answer/);
    await until('the call given up at the holder too', () => working?.signal.aborted === true);
  });

  it("cancels the call at the holder when the retry's client closes its response", async () => {
    const bus = new MemoryBus();
    const [a, b] = [replica(bus), replica(bus)];
    let running: SuspendableCall | undefined;
    const { token } = await parkedAt(a, async (call) => {
      running = call;
      await new Promise((resolve) => call.signal.addEventListener('abort', resolve));
      return 'cancelled';
    });
    const client = new AbortController();
    const pending = resumeAt(b, retryOf(token), client.signal).outcome;
    await until('the call runs at A', () => running !== undefined);
    client.abort();
    expect(await pending).toMatchObject({ kind: 'error', error: { message: expect.stringMatching(/cancelled/) } });
    await until('the call cancelled at A', () => running?.signal.aborted === true);
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
});
