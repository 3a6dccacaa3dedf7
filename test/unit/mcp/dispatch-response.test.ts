// The session requests' own handler (src/actors/mcp/http/dispatch-response.ts), against a real loopback server, on both
// dispatchers it is given: undici's Agent (TLS backends) and plain-http1-client.ts (plain-http ones): the answer's
// status, headers and bytes; the connection kept for the next request once a body is read or dumped; the caller's
// signal before and during the answer; a body left early aborts its request; a large body read slowly arrives whole.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AnswerBody, dispatchRequest } from '../../../src/actors/mcp/http/dispatch-response.ts';
import { type CallDispatcher, PlainHttp1Client } from '../../../src/actors/mcp/http/plain-http1-client.ts';
import { Agent } from '../../../src/actors/mcp/http/undici-agent.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { until } from '../../support/eventually.ts';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** Ended at once after each test, requests in flight too (a close would wait for an answer that never comes). */
type Closable = CallDispatcher & { destroy(): Promise<void> | void };

let server: Server | undefined;
let dispatcher: Closable | undefined;

afterEach(async () => {
  await Promise.resolve(dispatcher?.destroy()).catch(() => {});
  server?.closeAllConnections();
  server?.close();
  dispatcher = undefined;
  server = undefined;
});

const dispatchers: Array<[string, () => Closable]> = [
  ['undici Agent', () => new Agent({ connections: 1 })],
  [
    'plain HTTP/1.1 client',
    () =>
      new PlainHttp1Client({
        clock: systemClock,
        connectTimeoutMs: 5_000,
        headersTimeoutMs: 5_000,
        bodyTimeoutMs: 5_000,
        keepAliveTimeoutMs: 30_000,
      }),
  ],
];

async function serve(route: Route, makeDispatcher: () => Closable) {
  const sockets = new Set<Socket>();
  const closedRequests: string[] = [];
  const received: string[] = [];
  server = createServer((req, res) => {
    received.push(req.url ?? '');
    res.on('close', () => {
      if (!res.writableFinished) closedRequests.push(req.url ?? '');
    });
    route(req, res);
  });
  server.on('connection', (socket) => sockets.add(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const current = makeDispatcher();
  dispatcher = current;
  const send = (path: string, signal = new AbortController().signal) =>
    dispatchRequest(current, { origin, path, method: 'POST', body: 'x', headers: { 'x-test': 'yes' } }, signal);
  return { send, sockets, closedRequests, received };
}

async function text(body: AnswerBody): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe.each(dispatchers)('dispatchRequest on %s', (_name, makeDispatcher) => {
  it('answers with the status, lower-cased headers and the whole body, and the next request reuses the connection', async () => {
    const { send, sockets } = await serve((req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Seen': String(req.headers['x-test']) });
      res.write('{"a":');
      setImmediate(() => res.end(`"${req.url}"}`));
    }, makeDispatcher);
    const first = await send('/one');
    expect(first.statusCode).toBe(201);
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['x-seen']).toBe('yes');
    expect(await text(first.body)).toBe('{"a":"/one"}');
    const second = await send('/two');
    expect(await text(second.body)).toBe('{"a":"/two"}');
    expect(sockets.size).toBe(1);
  });

  it('a dumped small body keeps the connection; a dumped body past the limit aborts its request', async () => {
    const { send, sockets, closedRequests } = await serve((req, res) => {
      res.writeHead(200);
      if (req.url === '/small') return res.end('ok');
      res.write(Buffer.alloc(8192));
      // Never ends: only an abort lets go of it.
    }, makeDispatcher);
    await (await send('/small')).body.dump({ limit: 1024 });
    await (await send('/small')).body.dump({ limit: 1024 });
    expect(sockets.size).toBe(1);
    const large = await send('/large');
    await large.body.dump({ limit: 1024 });
    await until('the large request was aborted', () => closedRequests.includes('/large'));
    expect(large.body.done).toBe(true);
  });

  it('a signal aborted before the answer rejects with its reason, and the server sees the request go', async () => {
    const { send, closedRequests, received } = await serve(() => {
      // Never answers.
    }, makeDispatcher);
    const controller = new AbortController();
    const answer = send('/slow', controller.signal);
    await until('the request reached the server', () => received.includes('/slow'));
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(answer).rejects.toBe(reason);
    await until('the slow request was aborted', () => closedRequests.includes('/slow'));
  });

  it('a signal aborted already rejects without sending anything', async () => {
    let seen = 0;
    const { send } = await serve((_req, res) => {
      seen++;
      res.end();
    }, makeDispatcher);
    const reason = new Error('too late');
    await expect(send('/never', AbortSignal.abort(reason))).rejects.toBe(reason);
    await (await send('/after')).body.dump();
    expect(seen).toBe(1);
  });

  it('a signal aborted while the body is read fails the reader with its reason', async () => {
    const { send, closedRequests } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    }, makeDispatcher);
    const controller = new AbortController();
    const answer = await send('/stream', controller.signal);
    const reason = new Error('stop reading');
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of answer.body) {
        chunks.push(Buffer.from(chunk).toString());
        controller.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(chunks).toEqual(['data: 1\n\n']);
    await until('the stream request was aborted', () => closedRequests.includes('/stream'));
  });

  it('a reader that breaks out early aborts the request', async () => {
    const { send, closedRequests } = await serve((_req, res) => {
      res.writeHead(200);
      res.write('first');
    }, makeDispatcher);
    const answer = await send('/early');
    for await (const _chunk of answer.body) break;
    expect(answer.body.done).toBe(true);
    await until('the early request was aborted', () => closedRequests.includes('/early'));
  });

  it('a connection that drops mid-body fails the reader', async () => {
    const { send } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('short');
      setImmediate(() => res.socket?.destroy());
    }, makeDispatcher);
    const answer = await send('/drop');
    await expect(text(answer.body)).rejects.toThrow();
  });

  it('a large body read slowly arrives whole', async () => {
    const total = 2 * 1024 * 1024;
    const { send } = await serve((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          chunk.fill(sent / chunk.length);
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    }, makeDispatcher);
    const answer = await send('/large');
    let received = 0;
    let intact = true;
    for await (const chunk of answer.body) {
      for (const byte of chunk) if (byte !== Math.floor((received++ / (64 * 1024)) % 256)) intact = false;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(received).toBe(total);
    expect(intact).toBe(true);
  });
});

describe('AnswerBody', () => {
  it('pauses undici past 64 KiB unread and resumes it once the reader is below 16 KiB', async () => {
    const calls: string[] = [];
    let paused = false;
    const controller = {
      get paused() {
        return paused;
      },
      pause: () => {
        calls.push('pause');
        paused = true;
      },
      resume: () => {
        calls.push('resume');
        paused = false;
      },
      abort: () => calls.push('abort'),
    } as unknown as Dispatcher.DispatchController;
    const body = new AnswerBody(controller);
    for (let i = 0; i < 8; i++) body.push(new Uint8Array(10 * 1024));
    expect(calls).toEqual(['pause']);
    const reader = body[Symbol.asyncIterator]();
    for (let i = 0; i < 6; i++) await reader.next();
    // 60 KiB read of 80: 20 KiB still wait, above the low mark.
    expect(calls).toEqual(['pause']);
    await reader.next();
    expect(calls).toEqual(['pause', 'resume']);
    body.end();
    expect((await reader.next()).done).toBe(false);
    expect((await reader.next()).done).toBe(true);
    expect(calls).toEqual(['pause', 'resume']);
  });
});
