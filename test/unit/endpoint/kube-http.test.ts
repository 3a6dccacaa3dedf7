// KubeHttp against a scripted loopback HTTP server: error mapping (code, reason, Retry-After), watch streaming, and
// the inactivity watchdog that cuts a watch which went silent.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../src/actors/kube/kube-api.ts';
import { createKubeHttp, type KubeHttp, type WatchEvent } from '../../../src/runtime/kube/kube-http.ts';

let server: Server;
const UTF8_NAME = 'café €5 😀';
let api: KubeHttp;
const seen: { method?: string; url?: string; auth?: string; type?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'] });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/throttled') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'slow down' }));
    } else if (url.pathname === '/conflict') {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }));
    } else if (url.pathname === '/watch-utf8' && url.searchParams.get('watch') === 'true') {
      // One event whose name's multi-byte characters are cut across three writes, the second after a pause, so
      // that the client receives separate chunks.
      const bytes = Buffer.from(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: UTF8_NAME } } })}\n`);
      const cuts = [bytes.indexOf(Buffer.from('é')) + 1, bytes.indexOf(Buffer.from('😀')) + 2];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(bytes.subarray(0, cuts[0]));
      setTimeout(() => {
        res.write(bytes.subarray(cuts[0], cuts[1]));
        setTimeout(() => res.end(bytes.subarray(cuts[1])), 30);
      }, 30);
    } else if (url.pathname === '/watch' && url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n{"type":"MODI`);
      res.write(`FIED","object":{"metadata":{"name":"a"}}}\n`);
      if (url.searchParams.get('stall') === 'true') return; // never ends, never sends again
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  api = createKubeHttp(kc, { timeoutMs: 5000 });
});

afterAll(async () => {
  await api.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('KubeHttp', () => {
  it('sends the kubeconfig credentials and the content type, and parses JSON', async () => {
    const out = await api.request<{ ok: boolean }>({
      method: 'PATCH',
      path: '/ok',
      body: { a: 1 },
      contentType: 'application/merge-patch+json',
    });
    expect(out).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({
      method: 'PATCH',
      auth: 'Bearer test-token',
      type: 'application/merge-patch+json',
    });
  });

  it('with discardResponse, drains a successful answer unparsed and still maps errors', async () => {
    expect(await api.request({ method: 'POST', path: '/ok', body: {}, discardResponse: true })).toBeUndefined();
    // The connection is reusable afterwards: the next answer is read in full.
    expect(await api.request({ method: 'GET', path: '/ok' })).toEqual({ ok: true });
    const conflict = await api
      .request({ method: 'POST', path: '/conflict', body: {}, discardResponse: true })
      .catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('maps errors to KubeApiError with code, Status reason and Retry-After', async () => {
    const throttled = await api.request({ method: 'GET', path: '/throttled' }).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(KubeApiError);
    expect(throttled).toMatchObject({ code: 429, reason: 'TooManyRequests', retryAfterMs: 3000 });
    const conflict = await api.request({ method: 'GET', path: '/conflict' }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
    expect((conflict as Error).message).toContain('the object has been modified');
  });

  it('streams watch events split across chunks and resolves when the server ends the stream', async () => {
    const events: WatchEvent[] = [];
    await api.watch('/watch', {}, (e) => events.push(e), { signal: new AbortController().signal, inactivityMs: 2000 });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
  });

  it('decodes multi-byte UTF-8 characters that arrive split across chunks', async () => {
    const events: WatchEvent[] = [];
    await api.watch('/watch-utf8', {}, (e) => events.push(e), {
      signal: new AbortController().signal,
      inactivityMs: 2000,
    });
    expect(events.map((e) => (e.object as { metadata: { name: string } }).metadata.name)).toEqual([UTF8_NAME]);
  });

  it('cuts a watch that goes silent (watchdog) with an error, after delivering what arrived', async () => {
    const events: WatchEvent[] = [];
    const started = performance.now();
    const err = await api
      .watch('/watch', { stall: true }, (e) => events.push(e), {
        signal: new AbortController().signal,
        inactivityMs: 200,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as Error).message).toContain('watchdog');
    expect(events).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('an aborted watch resolves quietly', async () => {
    const stop = new AbortController();
    // Aborted mid-stream: once its first event arrived.
    const watching = api.watch('/watch', { stall: true }, () => stop.abort(), {
      signal: stop.signal,
      inactivityMs: 10_000,
    });
    await expect(watching).resolves.toBeUndefined();
    expect(stop.signal.aborted).toBe(true);
  });
});
