// Answers that carry no MCP message (a 202 to a notification, the 2024-11-05 transport's POST answers) are read only
// to free their connection: a backend that sends such an answer's head and then stops must not hold the connection,
// and the send waiting on it, past the HTTP client's body timeout. Loopback servers on node:http, plain http (our
// HTTP/1.1 client); undici applies the same timeout to TLS backends.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { createSecretRedactor } from '../../../src/actors/mcp/redactor.ts';
import { LegacySseTransport } from '../../../src/actors/mcp/transports/legacy-sse.ts';
import { StreamableHttpTransport } from '../../../src/actors/mcp/transports/streamable-http.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { until } from '../../support/eventually.ts';
import { closedAfterEach } from '../../support/loopback-transports.ts';

const open = closedAfterEach();

/**
 * A server whose POSTs get a 202 that promises 10 bytes and sends 2; `/sse` opens the 2024-11-05 stream and names
 * `/messages` as its endpoint. Returns the sockets that carried the stalled answers.
 */
async function stallingServer() {
  const stalled: Socket[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: endpoint\ndata: /messages?sessionId=s1\n\n');
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-length': '10' });
      res.write('ok');
      stalled.push(res.socket!);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = createHttpClient({ clock: systemClock, bodyTimeoutMs: 100 });
  const options = (path: string) => ({
    url: new URL(`${base}${path}`),
    http,
    headers: async () => ({}),
    clock: systemClock,
    log: pino({ level: 'silent' }),
    redactor: createSecretRedactor(),
  });
  return { server, http, stalled, options };
}

const NOTIFICATION = { jsonrpc: '2.0' as const, method: 'notifications/initialized' };

describe('an answer body that stalls after its head', () => {
  it('a Streamable HTTP notification POST settles at the body timeout and its connection is closed', async () => {
    const { server, http, stalled, options } = await stallingServer();
    const transport = new StreamableHttpTransport(options('/mcp'));
    open.push({ server, http, transport });
    await transport.send(NOTIFICATION);
    await until('the stalled connection was closed', () => stalled[0]?.destroyed === true);
  });

  it('a 2024-11-05 POST settles at the body timeout and its connection is closed; the SSE stream stays', async () => {
    const { server, http, stalled, options } = await stallingServer();
    const transport = new LegacySseTransport(options('/sse'));
    open.push({ server, http, transport });
    await transport.start();
    let closed = false;
    transport.onclose = () => {
      closed = true;
    };
    await transport.send(NOTIFICATION);
    await until('the stalled connection was closed', () => stalled[0]?.destroyed === true);
    expect(closed).toBe(false);
  });
});
