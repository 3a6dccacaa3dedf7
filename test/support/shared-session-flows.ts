// Gateways on one session store are replicas of each other: the flows that show it, shared by the suites that run
// them on the in-memory store (one process, gateway-shared-sessions.test.ts) and on Redis stores of their own
// (session-store/gateway-redis-relay.test.ts). A session opened at A is served at B and a DELETE at B ends it at A; a
// call's stream broken at A resumes at B with what A sent after the break; a client's answer to a relayed
// elicitation and its cancellation, posted at B, reach the call running at A. For 2026-07-28 clients (no session): a
// retry posted at B with the answers to a call parked at A gets the call's result, and a listen stream at A hears a
// list change only B saw. The backends are named `demo` (the demo backend) and `conf` (the conformance backend).
import { expect, it } from 'vitest';
import type { RunningGateway } from '../../src/gateway/gateway.ts';
import { eventually, until } from './eventually.ts';
import { ACCEPT_BOTH as accept, send, SESSION_REVISION as version } from './mcp-http.ts';
import { MODERN_REVISION, modernEnvelope } from './modern-envelope.ts';
import { eventReader, readEvents } from './sse.ts';

export async function openSession(at: RunningGateway, capabilities = {}): Promise<string> {
  const res = await send(at, 'POST', undefined, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: version, capabilities, clientInfo: { name: 'raw', version: '1' } },
  });
  expect(res.status).toBe(200);
  // An initialize result comes first of all, so it is one JSON body, never a stream.
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(await res.json()).toMatchObject({ id: 0, result: { protocolVersion: version } });
  return res.headers.get('mcp-session-id')!;
}

export const call = (id: number, name: string, args: object, meta?: object) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

/** A 2026-07-28 request: no session; its revision, capabilities and client in `_meta`, mirrored in the headers. */
export const sendModern = (
  gateway: { url: URL },
  method: string,
  id: number,
  params: Record<string, unknown>,
  capabilities: object = {},
  signal?: AbortSignal,
) =>
  fetch(gateway.url, {
    method: 'POST',
    headers: {
      accept,
      'content-type': 'application/json',
      'mcp-protocol-version': MODERN_REVISION,
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    },
    signal,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: {
        ...params,
        _meta: modernEnvelope(capabilities),
      },
    }),
  });

/** The JSON-RPC answer of a POST, whether one JSON body or the last event of an SSE stream. */
export async function answerOf(
  res: Response,
): Promise<{ id?: number; result?: Record<string, unknown>; error?: { code: number } }> {
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return (await res.json()) as never;
  const events = await readEvents(res, () => false);
  return JSON.parse(events.filter((e) => e.data.includes('"id"')).at(-1)!.data);
}

/** The tests; call inside a describe whose beforeAll starts the two gateways `pair` returns. */
export function sharedSessionFlows(pair: () => { a: RunningGateway; b: RunningGateway }): void {
  it('serves a session opened at A from B, and a DELETE at B ends it at A', async () => {
    const { a, b } = pair();
    const session = await openSession(a);
    // Any answer still pending after 100 ms becomes a stream (on a loaded machine, even this one).
    const atB = await answerOf(await send(b, 'POST', session, call(1, 'demo_echo', { message: 'from b' })));
    expect(atB).toMatchObject({ id: 1, result: { content: [{ text: 'from b' }] } });
    expect((await send(b, 'DELETE', session)).status).toBe(200);
    expect((await send(a, 'POST', session, call(2, 'demo_echo', { message: 'x' }))).status).toBe(404);
  });

  it('resumes at B a call stream that broke at A, with everything A sent after the break', async () => {
    const { a, b } = pair();
    const session = await openSession(a);
    const running = await send(
      a,
      'POST',
      session,
      call(7, 'demo_count', { n: 5, delayMs: 60 }, { progressToken: 'p' }),
    );
    const first = await readEvents(running, (all) => all.some((e) => e.data.includes('notifications/progress')));
    const lastId = first.filter((e) => e.id).at(-1)!.id!;
    const resumed = await eventually('B to accept the resume', async () => {
      const res = await send(b, 'GET', session, undefined, { 'last-event-id': lastId });
      if (res.status === 200) return res;
      await res.body?.cancel();
      return undefined;
    });
    const rest = await readEvents(resumed, (all) => all.some((e) => e.data.includes('"id":7')));
    const progress = [...first, ...rest]
      .filter((e) => e.data.includes('notifications/progress'))
      .map((e) => (JSON.parse(e.data) as { params: { progress: number } }).params.progress);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.parse(rest.at(-1)!.data)).toMatchObject({ id: 7, result: { content: [{ text: 'counted to 5' }] } });
  });

  it("delivers a client's answer to a relayed elicitation, posted at B, to the call running at A", async () => {
    const { a, b } = pair();
    const session = await openSession(a, { elicitation: {} });
    const running = await send(a, 'POST', session, call(3, 'conf_test_elicitation', { message: 'name?' }));
    const reader = eventReader(running);
    const events = await reader.until((all) => all.some((e) => e.data.includes('elicitation/create')));
    const asked = JSON.parse(events.find((e) => e.data.includes('elicitation/create'))!.data) as { id: string };
    const answered = await send(b, 'POST', session, {
      jsonrpc: '2.0',
      id: asked.id,
      result: { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } },
    });
    expect(answered.status).toBe(202);
    const all = await reader.until((seen) => seen.some((e) => e.data.includes('"id":3')));
    await reader.cancel();
    expect(JSON.parse(all.at(-1)!.data)).toMatchObject({
      id: 3,
      result: { content: [{ text: expect.stringContaining('"username":"ada"') }] },
    });
  });

  it('cancels at A a call whose cancellation was posted at B', async () => {
    const { a, b } = pair();
    const session = await openSession(a);
    const running = await send(
      a,
      'POST',
      session,
      call(9, 'demo_count', { n: 50, delayMs: 100 }, { progressToken: 'c' }),
    );
    const reader = eventReader(running);
    await reader.until((all) => all.some((e) => e.data.includes('notifications/progress')));
    const cancel = await send(b, 'POST', session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 9, reason: 'from b' },
    });
    expect(cancel.status).toBe(202);
    const events = await reader.until((all) => all.some((e) => e.data.includes('"id":9')));
    await reader.cancel();
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({
      id: 9,
      error: { message: expect.stringMatching(/from b/) },
    });
  });
  it("answers at B a 2026-07-28 client's retry of a call parked at A for its input", async () => {
    const { a, b } = pair();
    const tool = { name: 'conf_test_elicitation', arguments: { message: 'name?' } };
    const capabilities = { elicitation: {} };
    const first = await answerOf(await sendModern(a, 'tools/call', 1, tool, capabilities));
    expect(first.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: { q1: { method: 'elicitation/create' } },
      requestState: expect.stringMatching(/^mcpre-suspended:/),
    });
    const retry = {
      ...tool,
      inputResponses: { q1: { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } } },
      requestState: first.result?.requestState,
    };
    const done = await answerOf(await sendModern(b, 'tools/call', 2, retry, capabilities));
    expect(done.result).toMatchObject({
      resultType: 'complete',
      content: [{ text: expect.stringContaining('"username":"ada"') }],
    });
    // Good for one retry, wherever it is sent.
    for (const at of [a, b]) {
      expect((await answerOf(await sendModern(at, 'tools/call', 3, retry, capabilities))).error?.code).toBe(-32602);
    }
  });

  it('brings a list change only B saw to a 2026-07-28 listen stream at A, once', async () => {
    const { a, b } = pair();
    const listening = await sendModern(a, 'subscriptions/listen', 5, {
      notifications: { toolsListChanged: true, promptsListChanged: true },
    });
    expect(listening.status).toBe(200);
    const reader = eventReader(listening);
    const of = (kind: string) => (e: { data: string }) => e.data.includes(`notifications/${kind}/list_changed`);
    // Each call adds a tool, or a prompt, to one gateway's own session with the conformance backend.
    const changes = [
      'conf_test_trigger_tool_change',
      'conf_test_trigger_tool_change',
      'conf_test_trigger_prompt_change',
    ];
    const trigger = async (at: RunningGateway, step: number) => {
      const called = await answerOf(
        await sendModern(at, 'tools/call', 6 + step, { name: changes[step], arguments: {} }),
      );
      expect(called.result).toBeDefined();
    };
    try {
      await reader.until((all) => all.some((e) => e.data.includes('notifications/subscriptions/acknowledged')));
      await trigger(b, 0);
      await reader.until((all) => all.some(of('tools')));
      await trigger(b, 1);
      await reader.until((all) => all.filter(of('tools')).length >= 2);
      // A later change of another kind from B: what B announced before it arrives before it, so the count is exact.
      await trigger(b, 2);
      const events = await reader.until((all) => all.some(of('prompts')));
      expect(events.filter(of('tools'))).toHaveLength(2);
      expect(events.filter(of('prompts'))).toHaveLength(1);
    } finally {
      await reader.cancel();
      // A makes the same changes, so the suite's later tests find both gateways with the same lists again.
      for (const step of changes.keys()) await trigger(a, step);
      const lists = async (at: RunningGateway) =>
        JSON.stringify(
          await Promise.all(
            ['tools/list', 'prompts/list'].map(async (m) => (await answerOf(await sendModern(at, m, 9, {}))).result),
          ),
        );
      await until('A serves the lists B does', async () => (await lists(a)) === (await lists(b)));
    }
  });
}
