import { describe, expect, it } from 'vitest';
import { fulfilInputRequired, MAX_INPUT_ROUNDS } from '../../../src/gateway/input-required.ts';
import { SuspendableCall, SuspendedCalls } from '../../../src/gateway/modern/suspended-calls.ts';

const ask = { method: 'elicitation/create', params: { message: 'ok?' } };

describe('fulfilInputRequired (a 2025 client under a 2026 backend)', () => {
  it('asks each question, retries with the answers and the state, and returns the final result', async () => {
    const retries: unknown[] = [];
    const result = await fulfilInputRequired(
      { resultType: 'input_required', inputRequests: { a: ask }, requestState: 's1' },
      {
        backend: 'b',
        method: 'tools/call',
        ask: async (request) => ({ action: 'accept', asked: request.method }),
        retry: async (more) => {
          retries.push(more);
          return { content: [] };
        },
      },
    );
    expect(result).toEqual({ content: [] });
    expect(retries).toEqual([
      { inputResponses: { a: { action: 'accept', asked: 'elicitation/create' } }, requestState: 's1' },
    ]);
  });

  it('gives up after the bounded number of rounds', async () => {
    let rounds = 0;
    const again = { resultType: 'input_required', inputRequests: { a: ask } };
    await expect(
      fulfilInputRequired(again, {
        backend: 'b',
        method: 'tools/call',
        ask: async () => ({}),
        retry: async () => {
          rounds++;
          return again;
        },
      }),
    ).rejects.toThrow(`after ${MAX_INPUT_ROUNDS} answered rounds`);
    expect(rounds).toBe(MAX_INPUT_ROUNDS);
  });

  it('refuses an embedded request that is not sampling, elicitation or roots', async () => {
    const bad = { resultType: 'input_required', inputRequests: { a: { method: 'tools/call' } } };
    await expect(
      fulfilInputRequired(bad, { backend: 'b', method: 'tools/call', ask: async () => ({}), retry: async () => ({}) }),
    ).rejects.toThrow('is not sampling, elicitation or roots');
  });
});

describe('SuspendedCalls (a 2026 client under a 2025 backend)', () => {
  it('parks a call at its question, resumes it with the answer, and honours each token once', async () => {
    const call = new SuspendableCall();
    call.start(async () => {
      const answer = await call.ask(ask, new AbortController().signal);
      return { answered: answer };
    });
    expect(await call.next()).toEqual({ kind: 'input', inputRequests: { q1: ask } });
    const calls = new SuspendedCalls({ ttlMs: 60_000, max: 10 });
    const token = calls.park(call, 'alice', 'tools/call t') as string;
    expect(calls.take(token, 'mallory', 'tools/call t')).toBeUndefined();
    expect(calls.take(token, 'alice', 'tools/call other')).toBeUndefined();
    const resumed = calls.take(token, 'alice', 'tools/call t');
    expect(resumed).toBe(call);
    expect(calls.take(token, 'alice', 'tools/call t')).toBeUndefined();
    call.answer({ q1: { action: 'accept' } });
    expect(await call.next()).toEqual({ kind: 'result', result: { answered: { action: 'accept' } } });
  });

  it('cancels the call and fails the question when the retry never comes', async () => {
    const call = new SuspendableCall();
    const question = call.ask(ask, new AbortController().signal);
    const calls = new SuspendedCalls({ ttlMs: 5, max: 10 });
    await call.next();
    calls.park(call, 'alice', 'tools/call t');
    await expect(question).rejects.toThrow('did not retry within 5 ms');
    expect(call.signal.aborted).toBe(true);
    expect(calls.size).toBe(0);
  });
});
