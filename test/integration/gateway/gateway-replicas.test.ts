// Gateway replicas sharing client sessions on a real redis-server, each an `mcpre gateway` process as in production:
// a session opened on A continues on B after A is SIGKILLed (same Mcp-Session-Id, no new initialize, every call
// answered); a GET stream resumes on B with Last-Event-ID and gets what A had sent; a list change that only B sees
// reaches a client whose stream is on A, once; a restart of Redis (append-only file) loses no stored session. For
// 2026-07-28 clients (no session): a retry landing on B gets the result of the call parked on A for its input, a
// SIGKILLed A makes such a retry fail clearly and at once (not hang), a B SIGKILLed while A runs the call it relayed
// gets that call cancelled by A, and listen streams on A and C hear a change only B saw, once each.
// Each replica has its own backend fixture with the same tools, so a test can change what one replica sees alone.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { type RunningChild, servingUrl, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';
import { send } from '../../support/mcp-http.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';
import { answerOf, sendModern } from '../../support/shared-session-flows.ts';

const VERSION = '2025-11-25';
const PASSWORD = 'replica-test-password';

interface Replica {
  name: string;
  backend: FaultServer;
  process: RunningChild;
  url: URL;
}

let dir: string;
let redis: RedisFixture | undefined;
const replicas: Replica[] = [];
const backends: FaultServer[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpre-replicas-'));
});

afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.process.stop(5000)));
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await redis?.stop();
  redis = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function startReplica(name: string, store: RedisFixture, opts: { ready?: boolean } = {}): Promise<Replica> {
  const backend = await startFaultServer({ tools: ['echo', 'add', 'slow', 'sample', 'sample-held'] });
  backends.push(backend);
  const config = join(dir, `${name}.yaml`);
  // The config asks for the single-replica Lease, as the operator's does: with a shared store it is not taken (there
  // is no API server here; a replica that waited for the Lease would never be ready).
  await writeFile(
    config,
    JSON.stringify({ backends: [{ name: 'fx', url: backend.url }], lease: { name: 'gw', namespace: 'default' } }),
  );
  const child = spawnMcpre(['gateway', '--port', '0', '--config', config, '--session-store', store.url], {
    ...process.env,
    KUBERNETES_SERVICE_HOST: '',
    KUBECONFIG: join(dir, 'no-such-kubeconfig'),
    MCPRE_SESSION_STORE_PASSWORD: PASSWORD,
  });
  const replica = { name, backend, process: child, url: new URL('http://127.0.0.1:1/') };
  replicas.push(replica);
  replica.url = await servingUrl(child);
  if (opts.ready !== false) await waitForReadyz(replica.url, child);
  return replica;
}

/** One JSON-RPC POST; the answer whether it came as JSON or as an SSE stream. */
async function post(url: URL, body: object, session?: string) {
  const res = await send({ url }, 'POST', session, body);
  const text = await res.text();
  let message: { result?: Record<string, unknown>; error?: { message: string } } | undefined;
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const parser = createParser({
      onEvent: (e) => {
        const m = JSON.parse(e.data);
        if ('id' in m && m.id === (body as { id?: unknown }).id) message = m;
      },
    });
    parser.feed(text);
  } else if (text) {
    message = JSON.parse(text);
  }
  return { status: res.status, session: res.headers.get('mcp-session-id'), message, text };
}

async function initialize(url: URL): Promise<string> {
  const init = await post(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'replica-test', version: '1' } },
  });
  expect(init.status, init.text).toBe(200);
  const session = init.session as string;
  expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);
  return session;
}

let callId = 100;
async function add(url: URL, session: string, a: number, b: number) {
  const r = await post(
    url,
    { jsonrpc: '2.0', id: ++callId, method: 'tools/call', params: { name: 'fx_add', arguments: { a, b } } },
    session,
  );
  expect(r.status, r.text).toBe(200);
  return (r.message?.result?.content as Array<{ text: string }> | undefined)?.[0]?.text;
}

/** An open GET stream whose events are collected as they come. */
async function listen(url: URL, session: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      'mcp-session-id': session,
      'mcp-protocol-version': VERSION,
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: controller.signal,
  });
  return collected(res, controller);
}

/** A 2026-07-28 `subscriptions/listen` stream for tool and prompt list changes, its events collected as they come. */
async function listenModern(url: URL) {
  const controller = new AbortController();
  const res = await sendModern(
    { url },
    'subscriptions/listen',
    50,
    { notifications: { toolsListChanged: true, promptsListChanged: true } },
    {},
    controller.signal,
  );
  return collected(res, controller);
}

/** No test here keeps a stream open longer than this. */
const STREAM_READ_LIMIT_MS = 120_000;

function collected(res: Response, controller: AbortController) {
  expect(res.status).toBe(200);
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  // The read loop ends when the stream ends or is closed; a test that fails before closing it still stops here.
  setTimeout(() => controller.abort(), STREAM_READ_LIMIT_MS).unref();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  })();
  const messages = () => events.filter((e) => e.data).map((e) => ({ id: e.id, message: JSON.parse(e.data) }));
  return { events, messages, close: () => controller.abort() };
}

const listChanges = (s: { messages(): Array<{ id?: string; message: { method?: string } }> }, kind = 'tools') =>
  s.messages().filter((m) => m.message.method === `notifications/${kind}/list_changed`);

/** The tool names a replica serves a 2026-07-28 client. */
async function toolNames(url: URL): Promise<string[]> {
  const listed = await answerOf(await sendModern({ url }, 'tools/list', 60, {}));
  return ((listed.result?.tools ?? []) as Array<{ name: string }>).map((t) => t.name);
}

describe('gateway replicas on a shared Redis session store', () => {
  it('continues a session on B after A is SIGKILLed: same session id, no new initialize, every call answered', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const session = await initialize(a.url);
    expect(await add(a.url, session, 1, 2)).toBe('3');
    expect(await add(b.url, session, 2, 3)).toBe('5');
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    // The front's next pick is A: refused at once (nothing was sent), so it goes on to B.
    await expect(fetch(a.url, { method: 'POST' })).rejects.toThrow();
    for (let i = 0; i < 5; i++) expect(await add(b.url, session, i, 10)).toBe(String(i + 10));
    expect(
      a.backend.control.count({ rpcMethod: 'initialize' }) + b.backend.control.count({ rpcMethod: 'initialize' }),
    ).toBe(2);
  });

  it('resumes a GET stream on B with Last-Event-ID and replays what A had sent', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const session = await initialize(a.url);
    const stream = await listen(a.url, session);
    await a.backend.control.setTools(['echo', 'add', 'one']);
    await until('the first change on A', () => listChanges(stream).length === 1);
    await a.backend.control.setTools(['echo', 'add', 'one', 'two']);
    await until('the second change on A', () => listChanges(stream).length === 2);
    const [first, second] = listChanges(stream);
    expect(first?.id).toBeTruthy();
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    stream.close();

    const resumed = await listen(b.url, session, first?.id);
    await until('the replay on B', () => resumed.messages().length >= 1);
    expect(resumed.messages()[0]).toEqual(second);
    resumed.close();
  });

  it('brings a list change that only B saw to a client whose stream is on A, once', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const session = await initialize(a.url);
    const stream = await listen(a.url, session);
    // Wait until the stream is attached, by a change A sees itself.
    await a.backend.control.setTools(['echo', 'add', 'x']);
    await until('A announces its own change', () => listChanges(stream).length === 1);
    await b.backend.control.setTools(['echo', 'add', 'x']);
    // B's view caught up with A's: the same list, so nothing new to announce.
    await b.backend.control.setTools(['echo', 'add', 'x', 'only-b']);
    await until("B's change reaches the stream on A", () => listChanges(stream).length === 2);
    // A sees the same change later: the list did not change again, so no third announcement. Then a different
    // change, to know A's own announcements still flow, and that the count is exact.
    await a.backend.control.setTools(['echo', 'add', 'x', 'only-b']);
    await a.backend.control.setTools(['echo', 'add']);
    await until('the last change', () => listChanges(stream).length >= 3);
    expect(listChanges(stream)).toHaveLength(3);
    stream.close();
  });

  const sampling = { sampling: {} };
  const sample = { name: 'fx_sample', arguments: { prompt: 'hi' } };
  const sampled = { role: 'assistant', content: { type: 'text', text: 'the model says hi' }, model: 'test-model' };

  /** A 2026-07-28 call to the sampling tool at `at`: parked there, asking the client for its model's answer. */
  async function parkedAt(at: Replica, tool = sample): Promise<string> {
    const first = await answerOf(await sendModern(at, 'tools/call', 20, tool, sampling));
    expect(first.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: { q1: { method: 'sampling/createMessage' } },
      requestState: expect.stringMatching(/^mcpre-suspended:/),
    });
    return first.result?.requestState as string;
  }

  it("answers on B a 2026-07-28 client's retry of a call parked on A for its input", async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const requestState = await parkedAt(a);
    const retry = { ...sample, inputResponses: { q1: sampled }, requestState };
    const done = await answerOf(await sendModern(b, 'tools/call', 21, retry, sampling));
    expect(done.result).toMatchObject({ resultType: 'complete', content: [{ text: 'sampled: the model says hi' }] });
    // The call ran on A's backend only, and the state was good once, wherever the next retry lands.
    expect(a.backend.control.count({ rpcMethod: 'tools/call' })).toBe(1);
    expect(b.backend.control.count({ rpcMethod: 'tools/call' })).toBe(0);
    for (const at of [a, b]) {
      expect((await answerOf(await sendModern(at, 'tools/call', 22, retry, sampling))).error?.code).toBe(-32602);
    }
  });

  it('fails clearly, and soon, a retry on B of a call parked on A when A was SIGKILLed', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const requestState = await parkedAt(a);
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    const started = Date.now();
    const lost = await answerOf(
      await sendModern(b, 'tools/call', 23, { ...sample, inputResponses: { q1: sampled }, requestState }, sampling),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(lost.error).toMatchObject({
      code: -32602,
      // At once, not after the silence limit: Redis says no process listens for A any more.
      message: expect.stringMatching(
        /unknown or lost \(no gateway replica holds it\); send the request again without requestState and inputResponses/,
      ),
    });
    // Sent again from scratch, it is parked on B and finishes there.
    const again = await parkedAt(b);
    const done = await answerOf(
      await sendModern(
        b,
        'tools/call',
        24,
        { ...sample, inputResponses: { q1: sampled }, requestState: again },
        sampling,
      ),
    );
    expect(done.result).toMatchObject({ content: [{ text: 'sampled: the model says hi' }] });
  });

  it('cancels on A the call it resumed for a retry relayed by B when B is SIGKILLed mid-call', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    // Once answered, this call runs at A's backend until it is cancelled.
    const held = { name: 'fx_sample-held', arguments: { prompt: 'hi' } };
    const requestState = await parkedAt(a, held);
    const retry = { ...held, inputResponses: { q1: sampled }, requestState };
    // The client waits on B: its response is neither read nor closed, so only B's death can end the call.
    const atB = sendModern(b, 'tools/call', 25, retry, sampling).then(
      (res) => res.text().catch(() => ''),
      () => '',
    );
    const answered = () => a.backend.control.requests.filter((r) => r.httpMethod === 'POST' && !r.rpcMethod);
    await until("the client's answer, relayed by B, reached A's backend", () => answered().length === 1);
    expect(a.backend.control.count({ rpcMethod: 'notifications/cancelled' })).toBe(0);
    b.process.child.kill('SIGKILL');
    await b.process.exited;
    await atB;
    // A's messages to B reach no subscriber of B's channel; once none has for the silence limit (5 s), A cancels the
    // call at its backend.
    await until(
      "A's backend told the call is cancelled",
      () => a.backend.control.count({ rpcMethod: 'notifications/cancelled' }) === 1,
    );
    const served = async () => (await (await fetch(new URL('/metrics', a.url))).text()).split('\n');
    await until('A counted the relay served as relayer-gone', async () =>
      (await served()).includes('mcpre_gateway_parked_call_relays_served_total{outcome="relayer-gone"} 1'),
    );
    expect(b.backend.control.count({ rpcMethod: 'tools/call' })).toBe(0);
  });

  it('brings a list change that only B saw to 2026-07-28 listen streams on A and C, once each', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const c = await startReplica('c', redis);
    const streams = [await listenModern(a.url), await listenModern(c.url)];
    for (const stream of streams) {
      await until('the listen stream acknowledged', () =>
        stream.messages().some((m) => m.message.method === 'notifications/subscriptions/acknowledged'),
      );
    }
    await b.backend.control.setTools(['echo', 'add', 'only-b']);
    await until("B's change reaches the streams on A and C", () => streams.every((s) => listChanges(s).length === 1));
    // A and C see the same change later: the same list, no second announcement. Both gateways must hold it before
    // A's own change below, or a late announcement of theirs would be a change from A's list (digests compare with
    // the last one announced, so "once" holds for changes every replica sees in the same order).
    await a.backend.control.setTools(['echo', 'add', 'only-b']);
    await c.backend.control.setTools(['echo', 'add', 'only-b']);
    for (const r of [a, c]) {
      await until(`${r.name} serves B's list`, async () => (await toolNames(r.url)).includes('fx_only-b'));
    }
    await a.backend.control.setTools(['echo']);
    await until("A's change reaches the streams", () => streams.every((s) => listChanges(s).length >= 2));
    // A later fact from C, the last replica that could announce a tool list late: every earlier announcement is
    // delivered before it, so the count is exact once it arrives.
    await c.backend.control.setPrompts(['greeting', 'marker']);
    await until('the prompt change reaches the streams', () =>
      streams.every((s) => listChanges(s, 'prompts').length >= 1),
    );
    for (const stream of streams) {
      expect(listChanges(stream)).toHaveLength(2);
      expect(listChanges(stream, 'prompts')).toHaveLength(1);
      stream.close();
    }
  });

  it('loses no stored session when Redis is killed and restarted (append-only file)', async () => {
    redis = await startRedis({ password: PASSWORD, durable: true });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const sessions = [await initialize(a.url), await initialize(b.url), await initialize(a.url)];
    await redis.restart({ signal: 'SIGKILL' });
    for (const [i, s] of sessions.entries()) {
      const other = i % 2 === 0 ? b : a;
      await until(
        `session ${i} served by ${other.name} after the restart`,
        async () => {
          const r = await post(
            other.url,
            {
              jsonrpc: '2.0',
              id: 900 + i,
              method: 'tools/call',
              params: { name: 'fx_add', arguments: { a: i, b: 1 } },
            },
            s,
          );
          return r.status === 200;
        },
        { timeoutMs: 15_000 },
      );
      expect(await add(other.url, s, i, 1)).toBe(String(i + 1));
    }
  });

  it('refuses new sessions while Redis is down, keeps serving the sessions a replica holds, and says why', async () => {
    // Durable, so that the session is still stored when Redis is back.
    redis = await startRedis({ password: PASSWORD, durable: true });
    const a = await startReplica('a', redis);
    const b = await startReplica('b', redis);
    const session = await initialize(a.url);
    expect(await add(a.url, session, 1, 1)).toBe('2');
    const stream = await listen(a.url, session);
    await a.backend.control.setTools(['echo', 'add', 'slow', 'before']);
    await until('the stream attached', () => listChanges(stream).length === 1);

    await redis.down({ signal: 'SIGKILL' });
    const readyz = async (r: Replica) => {
      const res = await fetch(new URL('/readyz', r.url));
      return { status: res.status, body: (await res.json()) as { sessionStore?: { ready: boolean; reason?: string } } };
    };
    await until('A sees the store gone', async () => (await readyz(a)).body.sessionStore?.ready === false);
    const status = await readyz(a);
    expect(status.status).toBe(200);
    expect(status.body.sessionStore?.reason).toContain(redis.url);

    const refused = await send(a, 'POST', undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'late', version: '1' } },
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      error: { message: 'Cannot open a session now: the session store is unavailable; try again later' },
    });
    // A holds the session: it keeps serving it, a call long enough to become a stream included (its events cannot be
    // logged, so they go out live). B never saw it: it says the store is unavailable, and does not crash.
    expect(await add(a.url, session, 2, 2)).toBe('4');
    const slow = await post(
      a.url,
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'fx_slow', arguments: { ms: 300 } } },
      session,
    );
    expect(slow.status).toBe(200);
    expect(slow.message?.result).toMatchObject({ content: [{ text: 'slow done' }] });
    const resume = await send(a, 'GET', session, undefined, { 'last-event-id': 'some-stream.1' });
    expect(resume.status).toBe(503);
    await resume.body?.cancel();
    // A list change A sees reaches its own client's stream, live (it cannot be logged).
    await a.backend.control.setTools(['echo', 'add', 'slow', 'during']);
    await until('the change during the outage', () => listChanges(stream).length === 2);
    expect(listChanges(stream)[1]).toMatchObject({ id: undefined });
    stream.close();
    const elsewhere = await post(
      b.url,
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'fx_add', arguments: { a: 1, b: 1 } } },
      session,
    );
    expect(elsewhere.status).toBe(503);
    expect(elsewhere.text).toContain('the session store is unavailable');

    await redis.up();
    await until(
      'B serves the session again',
      async () =>
        (
          await post(
            b.url,
            { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'fx_add', arguments: { a: 1, b: 1 } } },
            session,
          )
        ).status === 200,
      { timeoutMs: 15_000 },
    );
    expect(await initialize(b.url)).toBeTruthy();
    expect(a.process.child.exitCode).toBeNull();
    expect(b.process.child.exitCode).toBeNull();
  });

  it('is not ready until it has reached Redis, and says why', async () => {
    redis = await startRedis({ password: PASSWORD });
    await redis.down();
    const a = await startReplica('a', redis, { ready: false });
    const res = await fetch(new URL('/readyz', a.url));
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.json())).toContain(`session store ${redis.url}`);
    await redis.up();
    await waitForReadyz(a.url, a.process);
  });
});
