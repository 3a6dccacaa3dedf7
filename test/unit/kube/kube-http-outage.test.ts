// KubeHttp against a stand-in API server in its own process (HTTP/2 over TLS) that the test freezes, thaws, kills
// and starts again on the same port: calls in flight fail as KubeApiErrors within the PING check (not after the
// request timeout or the watch watchdog), nothing escapes as an uncaught error, and the next calls reconnect.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../src/actors/kube/kube-api.ts';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import {
  createKubeHttp,
  type KubeConnectionEvent,
  type KubeHttp,
  logConnectionEvents,
} from '../../../src/runtime/kube/kube-http.ts';
import { eventually } from '../../support/eventually.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/kube/h2-api-server.ts');
const PING_MS = 250;
const WATCHDOG_MS = 15_000;

let tls: { cert: string; key: string; ca: string };
let server: ChildProcess | undefined;
let port = 0;
let api: KubeHttp;
const escaped: unknown[] = [];
const connectionEvents: KubeConnectionEvent[] = [];
const onEscaped = (err: unknown) => escaped.push(err);

async function startServer(): Promise<void> {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, TLS_CERT: tls.cert, TLS_KEY: tls.key, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server = child;
  port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`stand-in API server exited with ${code}`)));
    child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
}

async function killServer(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

beforeAll(async () => {
  const certs = await makeControlPlaneCerts(new Date());
  tls = { cert: certs.serving.certPem, key: certs.serving.keyPem, ca: certs.servingCa.certPem };
  await startServer();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, caData: Buffer.from(tls.ca).toString('base64') }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  api = createKubeHttp(kc, {
    timeoutMs: 20_000,
    pingIntervalMs: PING_MS,
    connectTimeoutMs: 2000,
    onConnectionEvent: (e) => connectionEvents.push(e),
  });
  process.on('uncaughtException', onEscaped);
  process.on('unhandledRejection', onEscaped);
});

afterEach(() => {
  server?.kill('SIGCONT');
  expect(escaped).toEqual([]);
});

afterAll(async () => {
  await api?.close();
  await killServer();
  process.off('uncaughtException', onEscaped);
  process.off('unhandledRejection', onEscaped);
});

/** Opens a watch and resolves once its first event arrived; `ended` settles when the watch does. */
async function openWatch(): Promise<{ ended: Promise<unknown>; stop: AbortController }> {
  const stop = new AbortController();
  let first!: () => void;
  const started = new Promise<void>((r) => {
    first = r;
  });
  const ended = api
    .watch('/apis/x/v1/things', {}, () => first(), { signal: stop.signal, inactivityMs: WATCHDOG_MS })
    .then(
      () => 'ended',
      (err: unknown) => err,
    );
  await Promise.race([started, ended]);
  return { ended, stop };
}

describe('KubeHttp and an API server that hangs or restarts', () => {
  it('talks HTTP/2 to a server offering both HTTP/2 and HTTP/1.1', async () => {
    const res = await api.request<{ httpVersion: string }>({ method: 'GET', path: '/version' });
    expect(res.httpVersion).toBe('2.0');
  });

  it('a frozen server: the PING check fails the watch and the calls in flight, and thawed it answers again', async () => {
    const watch = await openWatch();
    server?.kill('SIGSTOP');
    const frozenAt = performance.now();
    const inFlight = api.request({ method: 'PATCH', path: '/apis/x/v1/things/a', body: { a: 1 } }).catch((e) => e);

    const [watchEnd, callEnd] = await Promise.all([watch.ended, inFlight]);
    const took = performance.now() - frozenAt;
    expect(watchEnd).toBeInstanceOf(KubeApiError);
    expect((watchEnd as Error).message).not.toContain('watchdog');
    expect(callEnd).toBeInstanceOf(KubeApiError);
    // Well before the watchdog (15 s) and the request timeout (20 s): the connection check cut them.
    expect(took).toBeLessThan(WATCHDOG_MS / 2);
    await eventually('the lost connection reported', async () => connectionEvents.find((e) => e.type === 'disconnect'));

    server?.kill('SIGCONT');
    const res = await api.request<{ httpVersion: string }>({ method: 'GET', path: '/version' });
    expect(res.httpVersion).toBe('2.0');
    const again = await openWatch();
    again.stop.abort();
    expect(await again.ended).toBe('ended');
  });

  it('a restarted server on the same port: the watch fails, calls fail while it is down, then they reconnect', async () => {
    const watch = await openWatch();
    await killServer();
    expect(await watch.ended).toBeInstanceOf(KubeApiError);
    const down = await api.request({ method: 'GET', path: '/version' }).catch((e) => e);
    expect(down).toBeInstanceOf(KubeApiError);

    await startServer();
    const res = await eventually('a call after the restart', () =>
      api.request<{ httpVersion: string }>({ method: 'GET', path: '/version' }),
    );
    expect(res.httpVersion).toBe('2.0');
    const again = await openWatch();
    again.stop.abort();
    expect(await again.ended).toBe('ended');
  });
});

describe('logConnectionEvents', () => {
  it('logs an orderly close at debug and a lost or refused connection at warn', () => {
    const lines: string[] = [];
    const log = logConnectionEvents({
      debug: (f, msg) => lines.push(`debug ${msg} ${(f as { code?: string }).code}`),
      warn: (f, msg) => lines.push(`warn ${msg} ${(f as { code?: string }).code}`),
    });
    const server = 'https://127.0.0.1:6443';
    log({ type: 'disconnect', server, error: 'socket idle timeout', code: 'UND_ERR_INFO' });
    log({ type: 'disconnect', server, error: 'The client is destroyed', code: 'UND_ERR_DESTROYED' });
    log({ type: 'disconnect', server, error: 'HTTP/2: connection unresponsive', code: 'UND_ERR_SOCKET' });
    log({ type: 'connection-error', server, error: 'connect ECONNREFUSED', code: 'ECONNREFUSED' });
    expect(lines).toEqual([
      'debug Kubernetes API connection closed UND_ERR_INFO',
      'debug Kubernetes API connection closed UND_ERR_DESTROYED',
      'warn Kubernetes API connection lost UND_ERR_SOCKET',
      'warn cannot connect to the Kubernetes API ECONNREFUSED',
    ]);
  });
});
