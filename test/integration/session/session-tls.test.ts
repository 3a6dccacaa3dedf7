// TLS to backends: the OS certificate store and Node's bundled roots, plus an optional CA bundle, TLS 1.2 minimum. The fixture serves HTTPS with a
// certificate from a private CA that only the bundle makes trusted.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { type ControlPlaneCerts, makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { withBackendSession } from '../../../src/machines/backend-session-requests.ts';
import { sessionReason } from '../../../src/machines/backend-session-status.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { startBackendSession } from '../../../src/runtime/start-backend-session.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { captureLogger, waitForPhase, waitForStream } from './helpers.ts';

let certs: ControlPlaneCerts;
beforeAll(async () => {
  certs = await makeControlPlaneCerts(new Date(Date.now() - 60_000));
});

describe('backend TLS', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer({ tls: { certPem: certs.serving.certPem, keyPem: certs.serving.keyPem } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a certificate from a CA outside the default roots', async () => {
    const { log } = captureLogger();
    const session = startBackendSession({
      backendId: 'tls',
      url: server.url,
      log,
      rng: seededRng(1),
      policy: { breakerThreshold: 1 },
    });
    try {
      await waitForPhase(session.actor, 'unavailable');
      expect(sessionReason(session.actor.getSnapshot())).toMatch(/certificate|UNABLE_TO_VERIFY|self.signed/i);
      expect(server.control.requests).toHaveLength(0);
    } finally {
      await session.stop();
    }
  });

  it('trusts it with the CA bundle, on top of the default roots', async () => {
    const { log } = captureLogger();
    const http = createHttpClient({
      clock: systemClock,
      caBundlePem: certs.servingCa.certPem,
      caBundleSource: 'test CA',
    });
    const session = startBackendSession({ backendId: 'tls', url: server.url, http, log, rng: seededRng(1) });
    try {
      await waitForStream(session.actor, 'open');
      expect(session.actor.getSnapshot().context.session?.protocolVersion).toBe('2025-11-25');
    } finally {
      await session.stop();
      await http.close();
    }
  });

  it('rejects a bundle that holds no certificate, naming its source', () => {
    expect(() =>
      createHttpClient({ clock: systemClock, caBundlePem: 'not a pem', caBundleSource: 'ConfigMap ns/ca key ca.crt' }),
    ).toThrow(/ConfigMap ns\/ca key ca.crt holds no PEM certificate/);
  });
});

describe('HTTP/2 where a TLS backend offers it', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer({
      tls: { certPem: certs.serving.certPem, keyPem: certs.serving.keyPem, http2: true },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('runs calls, the notification stream and a session lost and re-made over one h2 connection', async () => {
    const { log } = captureLogger();
    const http = createHttpClient({ clock: systemClock, caBundlePem: certs.servingCa.certPem });
    const session = startBackendSession({ backendId: 'h2', url: server.url, http, log, rng: seededRng(1) });
    try {
      await waitForStream(session.actor, 'open');
      const add = (a: number) =>
        withBackendSession(session.actor, (c) => c.request('tools/call', { name: 'add', arguments: { a, b: 1 } }));
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => add(i)));
      expect(answers.map((r) => (r.result.content as { text: string }[])[0]?.text)).toEqual(
        Array.from({ length: 20 }, (_, i) => String(i + 1)),
      );
      // A lost session (404) is re-made and the call retried, on the same connection.
      const before = server.control.stats().initializes;
      expect(server.control.dropSessions()).toBe(1);
      expect((await add(41)).result).toMatchObject({ content: [{ text: '42' }] });
      expect(server.control.stats().initializes).toBe(before + 1);
      await waitForStream(session.actor, 'open');
    } finally {
      await session.stop();
      await http.close();
    }
    const mcp = server.control.requests.filter((r) => r.path === '/mcp');
    expect(mcp.map((r) => r.httpMethod)).toEqual(expect.arrayContaining(['POST', 'GET', 'DELETE']));
    expect(mcp.every((r) => r.httpVersion === '2.0')).toBe(true);
    // 20 calls in flight at once and two GET streams held open, on a single TLS connection.
    expect(server.control.stats().connections).toBe(1);
  });
});

describe('TLS 1.2 minimum', () => {
  it('does not talk to a server that offers at most TLS 1.1', async () => {
    const old = await startFaultServer({
      tls: { certPem: certs.serving.certPem, keyPem: certs.serving.keyPem, maxVersion: 'TLSv1.1' },
    });
    // Control: the server really speaks TLS 1.1 to a client that allows it (and its weak ciphers).
    const port = Number(new URL(old.url).port);
    const negotiated = await new Promise<string | null>((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', port, ca: certs.servingCa.certPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
        () => {
          resolve(socket.getProtocol());
          socket.end();
        },
      );
      socket.on('error', reject);
    });
    expect(negotiated).toBe('TLSv1.1');
    // Ours refuses (minVersion TLSv1.2 in the shared secure context, and OpenSSL's default level behind it).
    const { log } = captureLogger();
    const http = createHttpClient({ clock: systemClock, caBundlePem: certs.servingCa.certPem });
    const session = startBackendSession({
      backendId: 'old-tls',
      url: old.url,
      http,
      log,
      rng: seededRng(1),
      policy: { breakerThreshold: 1 },
    });
    try {
      await waitForPhase(session.actor, 'unavailable');
      expect(sessionReason(session.actor.getSnapshot())).toMatch(/protocol|version|handshake|ssl|tls/i);
      expect(old.control.requests).toHaveLength(0);
    } finally {
      await session.stop();
      await http.close();
      await old.close();
    }
  });
});
