// TLS to backends: the OS certificate store and Node's bundled roots, plus an optional CA bundle, TLS 1.2 minimum. The fixture serves HTTPS with a
// certificate from a private CA that only the bundle makes trusted.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { type ControlPlaneCerts, makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { sessionReason } from '../../../src/machines/backend-session-status.ts';
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
    const http = createHttpClient({ caBundlePem: certs.servingCa.certPem, caBundleSource: 'test CA' });
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
    expect(() => createHttpClient({ caBundlePem: 'not a pem', caBundleSource: 'ConfigMap ns/ca key ca.crt' })).toThrow(
      /ConfigMap ns\/ca key ca.crt holds no PEM certificate/,
    );
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
    const http = createHttpClient({ caBundlePem: certs.servingCa.certPem });
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
