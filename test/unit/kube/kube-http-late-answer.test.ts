// KubeHttp over HTTP/2 when a request is aborted right after it was handed to the connection (an operator stopping
// just as a status write or a read goes out): its HEADERS still leave, and the API server answers. The client must
// reset the stream so that HTTP/2 drops the late answer. If it does not, Node opens a fresh stream object for the
// answer with no error listener, and close() destroying the session throws ClientDestroyedError out of the process
// (undici 8.13.1 did so for every such request; 8.14.1 resets with CANCEL).
import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { createKubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { until } from '../../support/eventually.ts';

const ABORTED_PER_TEST = 20;
let kc: KubeConfig;
let seen = 0;
const server = createSecureServer();

beforeAll(async () => {
  const certs = await makeControlPlaneCerts(new Date());
  server.setSecureContext({ cert: certs.serving.certPem, key: certs.serving.keyPem });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (String(headers[':path']).startsWith('/gone/')) seen += 1;
    stream.respond({ ':status': 404, 'content-type': 'application/json' });
    stream.end('{"kind":"Status","reason":"NotFound"}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `https://127.0.0.1:${port}`,
        caData: Buffer.from(certs.servingCa.certPem).toString('base64'),
      },
    ],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('KubeHttp: requests aborted just after they went out, then close()', () => {
  for (const [method, body] of [
    ['GET', undefined],
    ['PATCH', { status: { phase: 'Ready' } }],
  ] as const) {
    it(`${method}: the late answers are dropped and nothing is thrown out of the process`, async () => {
      const escaped: unknown[] = [];
      const onEscaped = (err: unknown) => escaped.push(err);
      process.on('uncaughtException', onEscaped);
      try {
        const api = createKubeHttp(kc, { timeoutMs: 20_000, connectTimeoutMs: 2000 });
        await expect(api.request({ method: 'GET', path: '/gone/warm-up' })).rejects.toThrow(/NotFound|404/);
        const before = seen;
        const calls = Array.from({ length: ABORTED_PER_TEST }, (_, i) => {
          const abort = new AbortController();
          const call = api.request({ method, path: `/gone/${i}`, body, signal: abort.signal });
          process.nextTick(() => abort.abort(new Error('operator stopping')));
          return expect(call).rejects.toThrow();
        });
        await Promise.all(calls);
        await until('the server to have answered every aborted request', () => seen - before === ABORTED_PER_TEST);
        // One more round trip on the same connection: frames arrive in order, so the late answers are handled.
        await expect(api.request({ method: 'GET', path: '/gone/last' })).rejects.toThrow(/NotFound|404/);
        await api.close();
        // A destroyed stream's error is emitted on a later tick than the socket's close.
        await new Promise((r) => setImmediate(r));
      } finally {
        process.off('uncaughtException', onEscaped);
      }
      expect(escaped).toEqual([]);
    });
  }
});
