// The 2025-era connection's own JSON-RPC client (src/actors/mcp/session-client.ts) through McpConnection, against a
// scripted transport: what it sends (ids, progress tokens, cancellations, answers to server requests) and what callers
// get back (results as sent, JSON-RPC errors, timeouts on the injected clock, a closed connection). The transports pair
// a request's hooks in send's synchronous prefix, so send must have been called when request() returns.
import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { McpConnection } from '../../../src/actors/mcp/connection.ts';
import { BackendError } from '../../../src/actors/mcp/errors.ts';
import { createSecretRedactor } from '../../../src/actors/mcp/redactor.ts';
import { Inbox } from '../../../src/actors/mcp/transports/inbox.ts';
import type { McpTransport, RequestHooks } from '../../../src/actors/mcp/transports/types.ts';
import { ErrorCode, McpError } from '../../../src/api/mcp-errors.ts';
import { until } from '../../support/eventually.ts';

type Reply = (message: JSONRPCRequest) => JSONRPCMessage[] | undefined;

const INIT_RESULT = {
  protocolVersion: '2025-06-18',
  capabilities: { tools: { listChanged: true } },
  serverInfo: { name: 'fake', version: '1' },
  instructions: 'be kind',
};

/** Records what is sent; answers requests with `reply` a microtask later (undefined: no answer). */
class ScriptedTransport implements McpTransport {
  readonly kind = 'streamable-http' as const;
  protocolVersion: string | undefined;
  sessionId: string | undefined = 'sid-1';
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly sent: JSONRPCMessage[] = [];
  readonly inbox = new Inbox(createSecretRedactor(), () => {});
  closed = 0;
  reply: Reply = (m) =>
    m.method === 'initialize'
      ? [{ jsonrpc: '2.0', id: m.id, result: INIT_RESULT }]
      : [{ jsonrpc: '2.0', id: m.id, result: {} }];

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    this.sent.push(message);
    if (!('method' in message) || !('id' in message) || message.id === undefined) return;
    const flight = this.inbox.claim(message.id);
    flight.hooks?.onStatus?.(Number((message.params as { status?: number } | undefined)?.status ?? 200));
    const answers = this.reply(message as JSONRPCRequest);
    if (answers)
      queueMicrotask(() => {
        for (const a of answers) this.onmessage?.(a);
      });
  }

  /** A message from the server, outside any request. */
  push(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  bindNextRequest(hooks: RequestHooks | undefined): void {
    this.inbox.bindNextRequest(hooks);
  }

  async openNotificationStream() {
    return { kind: 'ended' as const };
  }

  async terminate(): Promise<void> {}

  hooksForServerRequest(): RequestHooks | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.closed++;
    this.onclose?.();
  }

  methods(): string[] {
    return this.sent.map((m) => ('method' in m ? m.method : 'response'));
  }
}

async function connected(options: { onUnrelated?: boolean } = {}) {
  const transport = new ScriptedTransport();
  const clock = new SimulatedClock();
  const served: string[] = [];
  const connection = new McpConnection(transport, {
    clock,
    log: pino({ level: 'silent' }),
    capabilities: { sampling: {} },
    requestTimeoutMs: 1000,
    onUnrelatedServerRequest: options.onUnrelated
      ? async (request) => {
          served.push(request.method);
          return { answered: request.method };
        }
      : undefined,
  });
  const info = await connection.initialize(AbortSignal.timeout(10_000));
  return { transport, clock, connection, info, served };
}

/** A message the client sent that answers a server request. */
const isAnswer = (m: JSONRPCMessage) => !('method' in m) && 'id' in m;

describe('McpConnection on its own JSON-RPC client', () => {
  it('initializes: offers the newest version, sends initialized, keeps what the server said', async () => {
    const { transport, info } = await connected();
    expect(transport.methods()).toEqual(['initialize', 'notifications/initialized']);
    const init = transport.sent[0] as JSONRPCRequest;
    expect(init.id).toBe(0);
    expect(init.params).toEqual({
      protocolVersion: '2025-11-25',
      capabilities: { sampling: {} },
      clientInfo: { name: 'mcpre', version: '0.1.0' },
    });
    expect(transport.protocolVersion).toBe('2025-06-18');
    expect(info).toEqual({
      protocolVersion: '2025-06-18',
      transport: 'streamable-http',
      sessionId: 'sid-1',
      serverInfo: { name: 'fake', version: '1' },
      capabilities: { tools: { listChanged: true } },
      instructions: 'be kind',
    });
  });

  it.each([
    ['a version it does not speak', { ...INIT_RESULT, protocolVersion: '2099-01-01' }, 'unsupportedProtocol', false],
    ['a malformed result', { ...INIT_RESULT, serverInfo: { name: 7 } }, 'protocol', true],
  ])('an initialize answered with %s fails as data and closes the transport', async (_, result, kind, retryable) => {
    const transport = new ScriptedTransport();
    transport.reply = (m) => [{ jsonrpc: '2.0', id: m.id, result }];
    const connection = new McpConnection(transport, { clock: new SimulatedClock(), log: pino({ level: 'silent' }) });
    const err = await connection.initialize(AbortSignal.timeout(10_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ kind, retryable });
    expect(transport.methods()).toEqual(['initialize']);
    expect(transport.closed).toBe(1);
  });

  it('send has been called when request() returns, so concurrent requests each get their own hooks', async () => {
    const { transport, connection } = await connected();
    const before = transport.sent.length;
    const statuses = [201, 202, 203];
    const replies = statuses.map((status) => connection.request('tools/call', { status }));
    expect(transport.sent.length - before).toBe(3);
    expect((await Promise.all(replies)).map((r) => r.report.httpStatus)).toEqual(statuses);
  });

  it('passes a result through as the server sent it and a JSON-RPC error as McpError', async () => {
    const { transport, connection } = await connected();
    const result = { content: [{ type: 'text', text: 'hi' }], extra: { kept: true } };
    transport.reply = (m) =>
      m.method === 'tools/call'
        ? [{ jsonrpc: '2.0', id: m.id, result }]
        : [{ jsonrpc: '2.0', id: m.id, error: { code: -32602, message: 'bad', data: { why: 'x' } } }];
    expect((await connection.request('tools/call', {})).result).toEqual(result);
    const err = await connection.request('prompts/get', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({ code: -32602, data: { why: 'x' }, message: 'MCP error -32602: bad' });
  });

  it('follows list pages by cursor', async () => {
    const { transport, connection } = await connected();
    transport.reply = (m) => {
      const cursor = (m.params as { cursor?: string } | undefined)?.cursor;
      const page =
        cursor === undefined
          ? { tools: [{ name: 'a', inputSchema: { type: 'object' } }], nextCursor: 'p2' }
          : { tools: [{ name: 'b', inputSchema: { type: 'object' } }] };
      return [{ jsonrpc: '2.0', id: m.id, result: page }];
    };
    const tools = await connection.list('tools', AbortSignal.timeout(10_000));
    expect(tools.map((t) => t.name)).toEqual(['a', 'b']);
    expect(transport.sent.slice(-2).map((m) => (m as JSONRPCRequest).params)).toEqual([{}, { cursor: 'p2' }]);
  });

  it('progress carries the request id as token, reaches the caller and keeps the request alive past its timeout', async () => {
    const { transport, clock, connection } = await connected();
    transport.reply = () => undefined;
    const progress: unknown[] = [];
    const call = connection.request('tools/call', { name: 'slow' }, { onProgress: (p) => progress.push(p) });
    const sent = transport.sent.at(-1) as JSONRPCRequest;
    expect(sent.params?._meta).toEqual({ progressToken: sent.id });
    clock.increment(900);
    transport.push({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: sent.id, progress: 1, total: 2 },
    });
    clock.increment(900); // 1800 ms since the call, 900 since the progress: still alive
    transport.push({ jsonrpc: '2.0', id: sent.id, result: { done: true } });
    expect((await call).result).toEqual({ done: true });
    expect(progress).toEqual([{ progress: 1, total: 2 }]);
  });

  it('a request past its timeout fails with RequestTimeout and the server hears notifications/cancelled', async () => {
    const { transport, clock, connection } = await connected();
    transport.reply = () => undefined;
    const call = connection.request('tools/call', {}, { timeoutMs: 500 }).catch((e: unknown) => e);
    const id = (transport.sent.at(-1) as JSONRPCRequest).id;
    clock.increment(499); // the clock runs due timers inside increment: a timeout due by now has fired already
    expect(transport.methods().at(-1)).toBe('tools/call');
    clock.increment(1);
    const err = await call;
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({ code: ErrorCode.RequestTimeout, data: { timeout: 500 } });
    expect(transport.sent.at(-1)).toMatchObject({ method: 'notifications/cancelled', params: { requestId: id } });
  });

  it('an aborted request is cancelled at the server, once: its timeout no longer fires', async () => {
    const { transport, clock, connection } = await connected();
    transport.reply = () => undefined;
    const abort = new AbortController();
    const call = connection.request('tools/call', {}, { signal: abort.signal }).catch((e: unknown) => e);
    const id = (transport.sent.at(-1) as JSONRPCRequest).id;
    abort.abort(new Error('client went away'));
    expect(await call).toMatchObject({
      code: ErrorCode.RequestTimeout,
      message: expect.stringContaining('client went away'),
    });
    expect(transport.sent.at(-1)).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason: 'Error: client went away' },
    });
    clock.increment(5000);
    expect(transport.methods().filter((m) => m === 'notifications/cancelled')).toHaveLength(1);
  });

  it('closing fails every request in flight with ConnectionClosed, more than the first slots hold', async () => {
    const { transport, clock, connection } = await connected();
    transport.reply = () => undefined;
    const calls = Array.from({ length: 40 }, () => connection.request('tools/call', {}).catch((e: unknown) => e));
    await connection.terminate(AbortSignal.timeout(1000));
    for (const call of calls) expect(await call).toMatchObject({ code: ErrorCode.ConnectionClosed });
    // Their timeouts went with them: no cancellation is sent for a request already failed.
    const sent = transport.sent.length;
    clock.increment(5000);
    expect(transport.sent).toHaveLength(sent);
  });

  it('answers ping, hands server requests outside any call to the owner, refuses them without one', async () => {
    const owned = await connected({ onUnrelated: true });
    owned.transport.push({ jsonrpc: '2.0', id: 'p', method: 'ping' });
    owned.transport.push({ jsonrpc: '2.0', id: 's', method: 'sampling/createMessage', params: {} });
    await until('both server requests are answered', () => owned.transport.sent.filter(isAnswer).length === 2);
    expect(owned.served).toEqual(['sampling/createMessage']);
    expect(owned.transport.sent.slice(-2)).toEqual([
      { jsonrpc: '2.0', id: 'p', result: {} },
      { jsonrpc: '2.0', id: 's', result: { answered: 'sampling/createMessage' } },
    ]);
    const bare = await connected();
    bare.transport.push({ jsonrpc: '2.0', id: 7, method: 'roots/list' });
    await until('roots/list is answered', () => bare.transport.sent.some(isAnswer));
    expect(bare.transport.sent.at(-1)).toMatchObject({ id: 7, error: { code: ErrorCode.MethodNotFound } });
  });

  it('a server request the server cancels gets no answer', async () => {
    const transport = new ScriptedTransport();
    let seen: AbortSignal | undefined;
    let ended = false;
    const connection = new McpConnection(transport, {
      clock: new SimulatedClock(),
      log: pino({ level: 'silent' }),
      onUnrelatedServerRequest: async (_request, signal) => {
        seen = signal;
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        ended = true;
        return {};
      },
    });
    await connection.initialize(AbortSignal.timeout(10_000));
    transport.push({ jsonrpc: '2.0', id: 3, method: 'elicitation/create', params: {} });
    await until('the handler has the request', () => seen !== undefined);
    transport.push({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'no' } });
    await until('the handler saw the cancellation and returned', () => ended);
    // A ping after it is answered: the cancelled request had its turn to be answered before.
    transport.push({ jsonrpc: '2.0', id: 'after', method: 'ping' });
    await until('the ping is answered', () => transport.sent.some(isAnswer));
    expect(seen?.aborted).toBe(true);
    expect(transport.sent.filter(isAnswer)).toEqual([{ jsonrpc: '2.0', id: 'after', result: {} }]);
  });

  it('notifications other than progress and cancellation reach the listeners', async () => {
    const { transport, connection } = await connected();
    const events: unknown[] = [];
    connection.onEvent((e) => events.push(e));
    transport.push({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    expect(events).toEqual([{ type: 'notification', method: 'notifications/tools/list_changed', params: undefined }]);
  });
});
