// The plain-http backends' HTTP/1.1 client (src/actors/mcp/http/plain-http1-client.ts) against a loopback server that
// writes its answers byte by byte as each test scripts them: every framing it reads (Content-Length, chunked in any
// split, to the close, 1xx first, trailers), what it refuses and how (an error with a code, the connection closed),
// what it sends, and when a connection is reused, replaced or failed (stale keep-alive, timeouts, close()).
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { ActorClock } from '../../../src/actors/clock.ts';
import { isStaleSocket, networkError } from '../../../src/actors/mcp/errors.ts';
import { type AnswerBody, dispatchRequest, type HttpAnswer } from '../../../src/actors/mcp/http/dispatch-response.ts';
import { PlainHttp1Client } from '../../../src/actors/mcp/http/plain-http1-client.ts';
import { REPEATABLE_METHODS, sendSessionRequest } from '../../../src/actors/mcp/http/session-request.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { until } from '../../support/eventually.ts';

/** Answers one request: the request's text (head and body) and the socket to write the answer on. */
type Script = (request: string, socket: Socket, index: number) => void;

let server: Server | undefined;
let client: PlainHttp1Client | undefined;

afterEach(async () => {
  await client?.close();
  server?.close();
  client = undefined;
  server = undefined;
});

interface ServeOptions {
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** The client's clock: a SimulatedClock makes every timeout a step the test takes. */
  clock?: ActorClock;
}

async function serve(script: Script, options: ServeOptions = {}) {
  const connections: Socket[] = [];
  const requests: string[] = [];
  server = createServer((socket) => {
    connections.push(socket);
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const request = pending.slice(0, end + 4 + length);
        pending = pending.slice(end + 4 + length);
        requests.push(request);
        script(request, socket, requests.length - 1);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const current = new PlainHttp1Client({
    clock: options.clock ?? systemClock,
    connectTimeoutMs: 5_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 5_000,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 5_000,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 30_000,
  });
  client = current;
  const send = (
    headers: Record<string, string> = { 'content-type': 'application/json' },
    signal = new AbortController().signal,
  ): Promise<HttpAnswer> =>
    dispatchRequest(current, { origin, path: '/mcp?x=1', method: 'POST', headers, body: '{"é":1}' }, signal);
  return { send, connections, requests, origin };
}

async function text(body: AnswerBody): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes `bytes` one byte per write, each after the last was handed to the kernel. */
async function trickle(socket: Socket, bytes: string): Promise<void> {
  for (const byte of Buffer.from(bytes, 'latin1')) {
    await new Promise<void>((resolve) => socket.write(Buffer.of(byte), () => resolve()));
  }
}

const JSON_ANSWER = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}';

describe('PlainHttp1Client', () => {
  it('sends one well-framed request: its own Host and Content-Length, the body in UTF-8, the caller framing dropped', async () => {
    const { send, requests, origin } = await serve((_r, socket) => socket.write(JSON_ANSWER));
    const answer = await send({ 'content-type': 'application/json', 'Content-Length': '1', host: 'evil', 'x-a': 'b' });
    expect(await text(answer.body)).toBe('{"a":1}');
    expect(requests[0]).toBe(
      `POST /mcp?x=1 HTTP/1.1\r\nhost: ${new URL(origin).host}\r\ncontent-type: application/json\r\nx-a: b\r\n` +
        `content-length: 8\r\n\r\n${Buffer.from('{"é":1}').toString('latin1')}`,
    );
  });

  it('sends no Content-Length on a bodiless GET or DELETE, and Content-Length: 0 on an empty POST', async () => {
    const { requests, origin } = await serve((_r, socket) => socket.write(JSON_ANSWER));
    for (const method of ['GET', 'DELETE', 'POST']) {
      const answer = await dispatchRequest(
        client!,
        { origin, path: '/mcp', method, headers: {}, body: null },
        new AbortController().signal,
      );
      await text(answer.body);
    }
    const host = new URL(origin).host;
    expect(requests).toEqual([
      `GET /mcp HTTP/1.1\r\nhost: ${host}\r\n\r\n`,
      `DELETE /mcp HTTP/1.1\r\nhost: ${host}\r\n\r\n`,
      `POST /mcp HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 0\r\n\r\n`,
    ]);
  });

  it('refuses a header value with CR or LF before anything is sent', async () => {
    const { send, requests } = await serve((_r, socket) => socket.write(JSON_ANSWER));
    await expect(send({ 'x-a': 'b\r\nx-injected: 1' })).rejects.toThrow(
      /header x-a has a character that cannot be sent/,
    );
    expect(requests).toEqual([]);
  });

  it('reads Content-Length answers and reuses the connection for the next request', async () => {
    const { send, connections } = await serve((_r, socket) => socket.write(JSON_ANSWER));
    for (let i = 0; i < 3; i++) {
      const answer = await send();
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(await text(answer.body)).toBe('{"a":1}');
    }
    expect(connections).toHaveLength(1);
  });

  it('reads a chunked answer written one byte at a time, extensions and trailers included, and reuses the connection', async () => {
    const answerText =
      'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nX-Two: a\r\nX-Two: b\r\n\r\n' +
      '7;ext=1\r\ndata: 1\r\n' +
      '2\r\n\n\n\r\n' +
      '0\r\nX-Trailer: dropped\r\n\r\n';
    const { send, connections } = await serve((_r, socket) => void trickle(socket, answerText));
    const first = await send();
    expect(first.headers['x-two']).toEqual(['a', 'b']);
    expect(await text(first.body)).toBe('data: 1\n\n');
    const second = await send();
    expect(await text(second.body)).toBe('data: 1\n\n');
    expect(connections).toHaveLength(1);
  });

  it('skips 100 and 103 before the answer', async () => {
    const { send } = await serve((_r, socket) =>
      socket.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${JSON_ANSWER}`),
    );
    const answer = await send();
    expect(answer.statusCode).toBe(200);
    expect(await text(answer.body)).toBe('{"a":1}');
  });

  it('reads an answer without length to the close, and opens a new connection for the next', async () => {
    const { send, connections } = await serve((_r, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"to":');
      setImmediate(() => socket.end('"close"}'));
    });
    expect(await text((await send()).body)).toBe('{"to":"close"}');
    expect(await text((await send()).body)).toBe('{"to":"close"}');
    expect(connections).toHaveLength(2);
  });

  it('does not reuse a connection after Connection: close, HTTP/1.0 or a 1-second Keep-Alive hint', async () => {
    const heads = [
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ];
    const { send, connections } = await serve((_r, socket, index) => socket.write(heads[index]!));
    for (let i = 0; i < heads.length; i++) expect(await text((await send()).body)).toBe('ok');
    expect(connections).toHaveLength(4);
  });

  it('answers 204 and Content-Length: 0 with an empty body and keeps the connection', async () => {
    const heads = [
      'HTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n',
      JSON_ANSWER,
    ];
    const { send, connections } = await serve((_r, socket, index) => socket.write(heads[index]!));
    expect(await text((await send()).body)).toBe('');
    expect(await text((await send()).body)).toBe('');
    expect(await text((await send()).body)).toBe('{"a":1}');
    expect(connections).toHaveLength(1);
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 200\r\n\r\n', /not an HTTP\/1\.x status line/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n', /malformed header line/],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n', /malformed header line/],
    [
      'Content-Length with Transfer-Encoding',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
      /both Content-Length and Transfer-Encoding/,
    ],
    [
      'a coding other than chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      /unsupported Transfer-Encoding/,
    ],
    [
      'disagreeing lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      /invalid Content-Length/,
    ],
    ['a negative length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
    ['101 to a POST', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', /switched protocols/],
    ['a status below 100', 'HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n', /not an HTTP\/1\.x status line/],
    ['an LF inside a header value', 'HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 0\r\n\r\n', /CR, LF or NUL/],
    ['a NUL inside a header value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n', /CR, LF or NUL/],
    ['a head of bare LFs (at once, not at the timeout)', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', /bare LF/],
  ])('refuses %s with an error and closes the connection', async (_what, answerText, message) => {
    const { send, connections } = await serve((_r, socket) => socket.write(answerText));
    await expect(send()).rejects.toThrow(message);
    await until('the connection was closed', () => connections[0]!.destroyed || connections[0]!.readableEnded);
  });

  it('fails the body on a bad chunk size, a chunk without its CRLF or a malformed trailer', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon here\r\n\r\n',
    ];
    const { send } = await serve((_r, socket, index) => socket.write(answers[index]!));
    await expect(text((await send()).body)).rejects.toThrow(/invalid chunk size line/);
    await expect(text((await send()).body)).rejects.toThrow(/chunk not followed by CRLF/);
    await expect(text((await send()).body)).rejects.toThrow(/invalid chunk size line/);
    await expect(text((await send()).body)).rejects.toThrow(/malformed header line/);
  });

  it('reads chunk sizes with leading zeros', async () => {
    const { send } = await serve((_r, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0000000002\r\nok\r\n000\r\n\r\n'),
    );
    expect(await text((await send()).body)).toBe('ok');
  });

  it('does not reuse a connection whose 204 declared a body: its late bytes are not read as the next answer', async () => {
    const { send, connections } = await serve((_r, socket, index) => {
      if (index > 0) return void socket.write(JSON_ANSWER);
      socket.write('HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n');
      setTimeout(() => socket.write('0\r\n\r\n'), 20);
    });
    expect((await send()).statusCode).toBe(204);
    expect(await text((await send()).body)).toBe('{"a":1}');
    expect(connections).toHaveLength(2);
  });

  it('refuses a head over 64 KiB', async () => {
    const { send } = await serve((_r, socket) => socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}`));
    await expect(send()).rejects.toThrow(/answer head over 65536 bytes/);
  });

  it('closes a connection that sent bytes after its answer; the answer itself stands', async () => {
    const { send, connections } = await serve((_r, socket) => socket.write(`${JSON_ANSWER}HTTP/1.1 200 OK\r\n`));
    expect(await text((await send()).body)).toBe('{"a":1}');
    expect(await text((await send()).body)).toBe('{"a":1}');
    expect(connections).toHaveLength(2);
  });

  it('a kept connection the server closed as the request arrived fails as a stale socket (retried by its callers)', async () => {
    const { send, connections } = await serve((_r, socket, index) => {
      if (index === 0) socket.write(JSON_ANSWER);
      else socket.destroy();
    });
    await text((await send()).body);
    const failure = await send().catch((err: unknown) => err);
    expect(isStaleSocket(failure)).toBe(true);
    expect(networkError(failure, 'POST tools/call').message).toBe('POST tools/call: UND_ERR_SOCKET other side closed');
    expect(connections).toHaveLength(1);
  });

  it("a session's request safe to repeat is sent once more on a fresh connection after a stale one; a tool call is not", async () => {
    const { connections, requests, origin } = await serve((_r, socket, index) => {
      if (index === 1 || index === 3) socket.destroy();
      else socket.write(JSON_ANSWER);
    });
    const http = { calls: client as PlainHttp1Client };
    const post = (body: string) =>
      sendSessionRequest(
        http,
        { origin, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json' }, body },
        new AbortController().signal,
        'POST',
        REPEATABLE_METHODS.has(JSON.parse(body).method),
      );
    await text((await post('{"method":"tools/list"}')).body);
    // The kept connection is closed as the request arrives: tools/list goes again, on a new connection.
    expect(await text((await post('{"method":"tools/list"}')).body)).toBe('{"a":1}');
    expect(connections).toHaveLength(2);
    expect(requests).toHaveLength(3);
    // The same for a tool call: the server may have seen it, so it fails instead of running twice.
    const failure = await post('{"method":"tools/call"}').catch((err: unknown) => err);
    expect(networkError(failure, 'POST').message).toMatch(/other side closed/);
    expect(requests).toHaveLength(4);
  });

  it('a connection dropped mid-body fails the reader, saying so', async () => {
    const { send } = await serve((_r, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort');
      setImmediate(() => socket.destroy());
    });
    await expect(text((await send()).body)).rejects.toThrow(/other side closed mid-answer/);
  });

  it('an answer head that does not come within headersTimeoutMs fails as a timeout', async () => {
    const { send, connections } = await serve(() => {}, { headersTimeoutMs: 150 });
    const failure = await send().catch((err: unknown) => err);
    expect(networkError(failure, 'POST tools/call').kind).toBe('timeout');
    await until('the connection was closed', () => connections[0]!.readableEnded || connections[0]!.destroyed);
  });

  it('a body that stops past bodyTimeoutMs fails as a timeout and closes the connection; shorter pauses do not', async () => {
    const clock = new SimulatedClock();
    const pieces: Socket[] = [];
    const { send, connections } = await serve(
      (_r, socket) => {
        pieces.push(socket);
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nab');
      },
      { clock, bodyTimeoutMs: 150 },
    );
    const reader = (await send()).body[Symbol.asyncIterator]();
    expect(Buffer.from((await reader.next()).value!).toString()).toBe('ab');
    // Two pauses of 100 ms: 200 ms in all, each shorter than the timeout.
    clock.increment(100);
    pieces[0]!.write('cd');
    expect(Buffer.from((await reader.next()).value!).toString()).toBe('cd');
    clock.increment(100);
    // 200 ms since the body began, 100 since it last moved: still alive.
    pieces[0]!.write('ef');
    expect(Buffer.from((await reader.next()).value!).toString()).toBe('ef');
    clock.increment(100);
    clock.increment(100);
    const failure = await reader.next().catch((err: unknown) => err);
    expect((failure as { code?: string }).code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(networkError(failure, 'POST tools/call').kind).toBe('timeout');
    await until('the connection was closed', () => connections[0]!.readableEnded || connections[0]!.destroyed);
  });

  it('a request with bodyTimeout 0, or whose reader paused the answer, is not timed out however long it waits', async () => {
    const clock = new SimulatedClock();
    const sockets: Socket[] = [];
    const { origin } = await serve(
      (_r, socket) => {
        sockets.push(socket);
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab');
      },
      { clock, bodyTimeoutMs: 150 },
    );
    const request = (bodyTimeout: number | undefined, pauseAtStart: boolean) => {
      let firstBytes!: () => void;
      const heard = new Promise<void>((resolve) => {
        firstBytes = resolve;
      });
      let controller: { resume(): void } | undefined;
      const whole = new Promise<string>((resolve, reject) => {
        let body = '';
        client!.dispatch(
          {
            origin,
            path: '/mcp',
            method: 'POST',
            headers: {},
            body: '{}',
            ...(bodyTimeout === undefined ? {} : { bodyTimeout }),
          },
          {
            onResponseStart: (c) => {
              controller = c;
              if (pauseAtStart) c.pause();
            },
            onResponseData: (_c, chunk) => {
              body += chunk.toString();
              firstBytes();
            },
            onResponseEnd: () => resolve(body),
            onResponseError: (_c, err) => reject(err),
          },
        );
      });
      return { heard, whole, resume: () => controller?.resume() };
    };
    const untimed = request(0, false);
    await untimed.heard;
    clock.increment(10 * 150);
    sockets[0]!.write('cd');
    expect(await untimed.whole).toBe('abcd');

    const paused = request(undefined, true);
    await paused.heard;
    clock.increment(10 * 150);
    // Held 140 ms past the last check, then resumed: the server's 150 ms start at the resume.
    clock.increment(140);
    paused.resume();
    clock.increment(140);
    sockets[sockets.length - 1]!.write('cd');
    expect(await paused.whole).toBe('abcd');
  });

  it('an abort during the answer fails it with the caller reason and closes the connection', async () => {
    const { send, connections } = await serve((_r, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab'),
    );
    const controller = new AbortController();
    const answer = await send(undefined, controller.signal);
    const reason = new Error('caller gave up');
    const reading = text(answer.body);
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
    await until('the connection was closed', () => connections[0]!.readableEnded || connections[0]!.destroyed);
  });

  it('close() refuses new requests and resolves once the request in flight has its answer, as undici', async () => {
    let answer: (() => void) | undefined;
    const { send, requests } = await serve((_r, socket) => {
      answer = () => socket.write(JSON_ANSWER);
    });
    const pending = send();
    await until('the request reached the server', () => requests.length === 1);
    let closed = false;
    const closing = client!.close().then(() => {
      closed = true;
    });
    await expect(send()).rejects.toThrow(/the HTTP client is closed/);
    expect(closed).toBe(false);
    const again = client!.close();
    answer!();
    expect(await text((await pending).body)).toBe('{"a":1}');
    // Every caller of close() is released, not only the last.
    await Promise.all([closing, again]);
  });

  it('destroy() fails a request in flight', async () => {
    const { send, requests } = await serve(() => {});
    const pending = send();
    await until('the request reached the server', () => requests.length === 1);
    client!.destroy();
    await expect(pending).rejects.toThrow(/the HTTP client was destroyed/);
  });

  it('sends a header value with obs-text as Latin-1 bytes, as undici does, and the body as UTF-8', async () => {
    const raw: Buffer[] = [];
    const { send } = await serve((_r, socket) => socket.write(JSON_ANSWER));
    server!.on('connection', (socket) => socket.on('data', (chunk: Buffer) => raw.push(chunk)));
    await text((await send({ 'x-user': 'José' })).body);
    const bytes = Buffer.concat(raw);
    expect(bytes.includes(Buffer.from('x-user: Jos\xe9\r\n', 'latin1'))).toBe(true);
    expect(bytes.includes(Buffer.from('{"é":1}', 'utf8'))).toBe(true);
  });

  it('an idle connection past its keep-alive time is not reused', async () => {
    const { send, connections } = await serve((_r, socket) => socket.write(JSON_ANSWER), { keepAliveTimeoutMs: 50 });
    await text((await send()).body);
    await until(
      'the first connection was closed as idle',
      () => connections[0]!.readableEnded || connections[0]!.destroyed,
    );
    await text((await send()).body);
    expect(connections).toHaveLength(2);
  });
});
