import { describe, expect, it } from 'vitest';
import { McpError } from '../../../src/api/mcp-errors.ts';
import { SessionCalls } from '../../../src/gateway/sessions/calls.ts';

function channel() {
  const sent: Array<{ id?: string; method: string; params?: unknown }> = [];
  const aborted: unknown[] = [];
  return {
    sent,
    aborted,
    notify: (m: unknown) => void sent.push(m as (typeof sent)[number]),
    abort: (r: unknown) => void aborted.push(r),
  };
}

describe('SessionCalls', () => {
  it('keeps the maps of sessions whose end it never hears bounded, and keeps a session with a running call', () => {
    const calls = new SessionCalls();
    const running = channel();
    calls.begin('busy', 1, running);
    for (let i = 0; i < 3000; i++) calls.begin(`s${i}`, 1, channel())();
    expect(calls.sessionsHeld).toBeLessThanOrEqual(1024);
    expect(calls.cancel('busy', 1, 'stop')).toBe(true);
    expect(running.aborted).toHaveLength(1);
  });

  it("settles a relayed request with the client's answer, result or error, and only in its own session", async () => {
    const calls = new SessionCalls();
    const ch = channel();
    const asked = calls.ask(
      's1',
      ch,
      { method: 'elicitation/create', params: { message: 'hi' } },
      new AbortController().signal,
    );
    const { id } = ch.sent[0]!;
    expect(ch.sent[0]).toMatchObject({ jsonrpc: '2.0', method: 'elicitation/create', params: { message: 'hi' } });
    expect(calls.answer('other', { jsonrpc: '2.0', id: id!, result: {} })).toBe(false);
    expect(calls.answer('s1', { jsonrpc: '2.0', id: id!, result: { action: 'accept' } })).toBe(true);
    expect(await asked).toEqual({ action: 'accept' });
    expect(calls.answer('s1', { jsonrpc: '2.0', id: id!, result: {} })).toBe(false);

    const refused = calls.ask('s1', ch, { method: 'sampling/createMessage' }, new AbortController().signal);
    calls.answer('s1', { jsonrpc: '2.0', id: ch.sent[1]!.id!, error: { code: -1, message: 'declined' } });
    await expect(refused).rejects.toBeInstanceOf(McpError);
  });

  it('tells the client when a relayed request is given up (aborted or timed out)', async () => {
    const calls = new SessionCalls({ timeoutMs: 20 });
    const ch = channel();
    const controller = new AbortController();
    const aborted = calls.ask('s1', ch, { method: 'roots/list' }, controller.signal);
    controller.abort(new Error('call cancelled'));
    await expect(aborted).rejects.toThrow('call cancelled');
    expect(ch.sent[1]).toMatchObject({ method: 'notifications/cancelled', params: { requestId: ch.sent[0]!.id } });
    await expect(calls.ask('s1', ch, { method: 'roots/list' }, new AbortController().signal)).rejects.toThrow(
      /timed out/,
    );
  });

  it('aborts a call on its cancellation, and every call and pending request when its session ends', async () => {
    const calls = new SessionCalls();
    const one = channel();
    const two = channel();
    const end = calls.begin('s1', 1, one);
    calls.begin('s1', '1', two);
    expect(calls.cancel('s1', 2, 'x')).toBe(false);
    expect(calls.cancel('s1', 1, 'stop')).toBe(true);
    expect(one.aborted).toHaveLength(1);
    expect(two.aborted).toHaveLength(0);
    end();
    expect(calls.cancel('s1', 1, 'again')).toBe(false);
    const waiting = calls.ask('s1', two, { method: 'roots/list' }, new AbortController().signal);
    calls.endSession('s1', 'deleted');
    expect(two.aborted).toHaveLength(1);
    await expect(waiting).rejects.toThrow(/session ended \(deleted\)/);
  });
});
