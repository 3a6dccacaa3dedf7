// The backend HTTP client's HTTP/2 flow-control windows, as a server sees them: the stream window the client's SETTINGS
// announce and the connection window it opens, both far above undici's defaults (256 KiB and 512 KiB), which would
// cap every call of a backend together at 512 KiB per round trip (bench/backend-h2-window.bench.ts).
import { once } from 'node:events';
import { createSecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { systemClock } from '../../../src/runtime/clock.ts';

const MiB = 1024 * 1024;
let server: ReturnType<typeof createSecureServer>;
let origin: string;
let client: HttpClient;
const sessions: ServerHttp2Session[] = [];

beforeAll(async () => {
  const certs = await makeControlPlaneCerts(new Date());
  server = createSecureServer({ cert: certs.serving.certPem, key: certs.serving.keyPem }, (_req, res) => {
    res.end('ok');
  });
  server.on('session', (s) => sessions.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  client = createHttpClient({ clock: systemClock, caBundlePem: certs.servingCa.certPem, caBundleSource: 'test CA' });
});
afterAll(async () => {
  await client?.close();
  for (const s of sessions) s.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

describe('backend HTTP client over HTTP/2', () => {
  it('announces a 4 MiB stream window and opens a 16 MiB connection window', async () => {
    const res = await client.dispatcher.request({ origin, path: '/', method: 'GET' });
    expect(await res.body.text()).toBe('ok');
    expect(sessions).toHaveLength(1);
    const session = sessions[0]!;
    expect(session.alpnProtocol).toBe('h2');
    expect(session.remoteSettings.initialWindowSize).toBe(4 * MiB);
    // What the server may still send on the connection before the client acknowledges more: the window the client
    // opened, less the few bytes of this answer.
    expect(session.state.remoteWindowSize).toBeGreaterThan(16 * MiB - 1024);
  });
});
