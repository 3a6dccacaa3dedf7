import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { writeResponse } from '../../../src/gateway/web-transport-bridge.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server answering every request with `make()`, written by writeResponse; resolves with its port. */
async function serve(make: () => Response): Promise<number> {
  const server = createServer((_req, res) => void writeResponse(make(), res));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function get(port: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject).end();
  });
}

async function text(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res) body += chunk;
  return body;
}

const sse = { 'content-type': 'text/event-stream', 'mcp-session-id': 's1' };
const encode = (s: string) => new TextEncoder().encode(s);

describe('writeResponse', () => {
  it('opens an event stream that has nothing to send yet at once, and writes its events when they come', async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const port = await serve(
      () =>
        new Response(
          new ReadableStream({
            start: (c) => {
              controller = c;
            },
          }),
          { headers: sse },
        ),
    );
    const res = await get(port);
    expect(res.statusCode).toBe(200);
    expect(res.headers['mcp-session-id']).toBe('s1');
    controller.enqueue(encode('data: one\n\n'));
    controller.enqueue(encode('data: two\n\n'));
    controller.close();
    expect(await text(res)).toBe('data: one\n\ndata: two\n\n');
  });

  it('writes events that end their stream together with its end, and events that wait past the hold', async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const port = await serve(
      () =>
        new Response(
          new ReadableStream({
            start: (c) => {
              controller = c;
              c.enqueue(encode('id: 1\ndata: \n\n'));
            },
          }),
          { headers: sse },
        ),
    );
    const res = await get(port);
    const body = text(res);
    controller.enqueue(encode('data: answer\n\n'));
    controller.close();
    expect(await body).toBe('id: 1\ndata: \n\ndata: answer\n\n');
  });

  it('answers JSON whole, with its length', async () => {
    const json = JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    const port = await serve(
      () => new Response(json, { status: 404, headers: { 'content-type': 'application/json' } }),
    );
    const res = await get(port);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(json)));
    expect(await text(res)).toBe(json);
  });

  it('cancels the stream when the client goes away', async () => {
    let cancelled!: () => void;
    const cancel = new Promise<void>((r) => {
      cancelled = r;
    });
    const port = await serve(() => new Response(new ReadableStream({ cancel: () => cancelled() }), { headers: sse }));
    const res = await get(port);
    res.destroy();
    await cancel;
  });
});
