// callToolRaw over Streamable HTTP against a loopback server that answers as a test tells it: the result and its JSON
// text as the server wrote it (kept only when asked), the call's own log line on the way, ids from the session
// client's one counter, errors as the SDK's Client makes them, the size caps, cancellation and timeout (the server is
// told), and a closed transport.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActorClock } from '../../../src/actors/clock.ts';
import { McpConnection } from '../../../src/actors/mcp/connection.ts';
import { BackendError } from '../../../src/actors/mcp/errors.ts';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import type { RequestOptions } from '../../../src/actors/mcp/protocol.ts';
import { createSecretRedactor } from '../../../src/actors/mcp/redactor.ts';
import { resultJsonText } from '../../../src/actors/mcp/transports/raw-json.ts';
import { StreamableHttpTransport } from '../../../src/actors/mcp/transports/streamable-http.ts';
import { ErrorCode, McpError } from '../../../src/api/mcp-errors.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { until } from '../../support/eventually.ts';
import { closedAfterEach } from '../../support/loopback-transports.ts';

type Received = { id?: unknown; method?: string; params?: Record<string, unknown> };
type Answer = (message: Received, res: ServerResponse) => void;

const open = closedAfterEach();

/** A server that hands each POSTed message to `answer` (notifications get 202 first), and the transport to it. */
async function serve(answer: Answer, options: { clock?: ActorClock; maxResponseBytes?: number } = {}) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const message = JSON.parse(body) as Received;
      received.push(message);
      if (message.id === undefined) return void res.writeHead(202).end();
      answer(message, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const http = createHttpClient({
    clock: systemClock,
    maxResponseBytes: options.maxResponseBytes,
    maxEventBytes: options.maxResponseBytes,
  });
  const transport = new StreamableHttpTransport({
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`),
    http,
    headers: async () => ({}),
    clock: options.clock ?? systemClock,
    log: pino({ level: 'silent' }),
    redactor: createSecretRedactor(),
  });
  open.push({ server, http, transport });
  const connection = new McpConnection(transport, {
    clock: options.clock ?? systemClock,
    log: pino({ level: 'silent' }),
  });
  return { transport, connection, received };
}

const ECHO = { name: 'echo', arguments: { message: 'hi' } };
const call = async (connection: McpConnection, options: RequestOptions = {}) =>
  (await connection.callToolRaw(ECHO, { timeoutMs: 10_000, ...options })).result;

const sse = (res: ServerResponse, ...data: string[]) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const d of data) res.write(`event: message\ndata: ${d}\n\n`);
  res.end();
};

describe('callToolRaw', () => {
  it('resolve with the result, its JSON text kept as the server wrote it, after the call’s own log line', async () => {
    // Key order, spacing and number forms that serialising the parsed result again would change.
    const resultText = '{ "content" : [ {"type":"text","text":"caf\\u00e9 \\"q\\" }"} ], "score": 1.50 }';
    const { connection, received } = await serve((m, res) =>
      sse(
        res,
        JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } }),
        `{"result": ${resultText}, "jsonrpc":"2.0", "id":${JSON.stringify(m.id)}}`,
      ),
    );
    const seen: string[] = [];
    const { result, report } = await connection.callToolRaw(ECHO, {
      onLog: (log: { data: unknown }) => seen.push(`log ${String(log.data)}`),
    });
    expect(result).toEqual({ content: [{ type: 'text', text: 'café "q" }' }], score: 1.5 });
    expect(resultJsonText(result)).toBe(resultText);
    expect(seen).toEqual(['log working']);
    expect(report.httpStatus).toBe(200);
    // One request counter for the session: plain requests and kept-text calls take the next id alike.
    const plain = await connection.request('tools/call', ECHO);
    expect(resultJsonText(plain.result)).toBeUndefined();
    expect(received.map((m) => m.id)).toEqual([0, 1]);
    expect(received[0]).toMatchObject({ method: 'tools/call', params: { name: 'echo' } });
  });

  it('take a JSON body too', async () => {
    const { connection } = await serve((m, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":{"content":[]}}`);
    });
    expect(resultJsonText(await call(connection))).toBe('{"content":[]}');
    // Asked for progress too: the text is still kept.
    expect(resultJsonText(await call(connection, { onProgress: () => {} }))).toBe('{"content":[]}');
    expect(resultJsonText((await connection.request('tools/call', ECHO)).result)).toBeUndefined();
  });

  it('fail with McpError carrying the server’s code, message and data for an error answer', async () => {
    const { connection } = await serve((m, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32602, message: 'bad', data: { x: 1 } } }));
    });
    const err = await call(connection).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({ code: -32602, message: 'MCP error -32602: bad', data: { x: 1 } });
  });

  it('refuse an answer larger than the cap, as a body and as an event', async () => {
    const big = JSON.stringify({ content: [{ type: 'text', text: 'x'.repeat(4096) }] });
    const asJson = await serve(
      (m, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":${big}}`);
      },
      { maxResponseBytes: 1024 },
    );
    const bodyErr = await call(asJson.connection).catch((e: unknown) => e);
    expect(bodyErr).toBeInstanceOf(BackendError);
    expect((bodyErr as BackendError).message).toMatch(/larger than 1024 bytes/);
    const asEvent = await serve(
      (m, res) => sse(res, `{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":${big}}`),
      {
        maxResponseBytes: 1024,
      },
    );
    const eventErr = await call(asEvent.connection).catch((e: unknown) => e);
    expect(eventErr).toBeInstanceOf(McpError);
    expect((eventErr as McpError).message).toMatch(/larger than 1024 bytes/);
  });

  it('cancelled mid-call: the caller gets the reason and the server hears notifications/cancelled for the call', async () => {
    let held: ServerResponse | undefined;
    const { connection, received } = await serve((_m, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      held = res;
    });
    const controller = new AbortController();
    const pending = call(connection, { signal: controller.signal }).catch((e: unknown) => e);
    await until('the server holds the call', () => held !== undefined);
    controller.abort('the client went away');
    const err = await pending;
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({
      code: ErrorCode.RequestTimeout,
      message: expect.stringMatching(/the client went away/),
    });
    await until('the server is told', () => received.some((m) => m.method === 'notifications/cancelled'));
    const id = received[0]?.id;
    expect(received.find((m) => m.method === 'notifications/cancelled')?.params).toEqual({
      requestId: id,
      reason: 'the client went away',
    });
    held?.end();
  });

  it('unanswered in time: RequestTimeout with the timeout in its data, and the server is told', async () => {
    const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
    const clock: ActorClock = {
      now: () => 0,
      setTimeout: (fn, ms) => {
        const timer = { fn, ms, cleared: false };
        timers.push(timer);
        return timer;
      },
      clearTimeout: (timer) => {
        (timer as { cleared: boolean }).cleared = true;
      },
    };
    const { connection, received } = await serve(
      (_m, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': open\n\n');
      },
      { clock },
    );
    const pending = call(connection, { timeoutMs: 1234 }).catch((e: unknown) => e);
    await until('the server holds the call', () => received.length === 1);
    const timer = timers.find((t) => t.ms === 1234 && !t.cleared);
    timer?.fn();
    const err = await pending;
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({ code: ErrorCode.RequestTimeout, data: { timeout: 1234 } });
    await until('the server is told', () => received.some((m) => m.method === 'notifications/cancelled'));
  });

  it('fail with ConnectionClosed when the transport closes under them', async () => {
    const { transport, connection, received } = await serve((_m, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
    });
    const pending = call(connection).catch((e: unknown) => e);
    await until('the server holds the call', () => received.length === 1);
    await transport.close();
    expect(await pending).toMatchObject({ code: ErrorCode.ConnectionClosed });
  });
});
