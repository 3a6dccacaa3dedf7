// The session store's connection over TLS (rediss://) to a real redis-server serving TLS only, with a certificate
// from a private CA: trusted through a CA file it works (commands and pub/sub); without that CA, with another CA,
// with a CA file that is missing or not PEM, or toward a server without TLS, the connection says why within a bound
// and never hangs. SNI carries DNS names only, while the certificate is still checked against an IP host.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStoreAddress } from '../../../src/api/gateway/session-store.ts';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { connectRedis, type RedisConnection } from '../../../src/runtime/redis-connection.ts';
import { until } from '../../support/eventually.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';

const logger = pino({ level: 'silent' });
const at = (port: number, host = '127.0.0.1'): SessionStoreAddress => ({ tls: true, host, port, db: 0 });
let redis: RedisFixture;
let otherCaFile: string;
let conn: RedisConnection | undefined;

beforeAll(async () => {
  redis = await startRedis({ tls: true, password: 'tls-pass' });
  otherCaFile = join(redis.dir, 'other-ca.crt');
  await writeFile(otherCaFile, (await makeControlPlaneCerts(new Date())).servingCa.certPem);
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await conn?.close();
  conn = undefined;
});

/** The reason the connection gives within `timeoutMs`, once it matches. */
async function reasonWithin(c: RedisConnection, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  await until(`a reason matching ${pattern}`, () => pattern.test(c.state().reason ?? ''), { timeoutMs });
  expect(c.state().ready).toBe(false);
  return c.state().reason ?? '';
}

describe('redis connection over TLS', () => {
  it('trusts the CA file: commands and pub/sub round-trip', async () => {
    const caFile = redis.ca?.file ?? '';
    conn = connectRedis({ address: at(redis.port), password: 'tls-pass', caFile, logger });
    expect(conn.url).toBe(redis.url);
    await until('connected over TLS', () => conn?.state().ready === true, { timeoutMs: 10_000 });
    await conn.client.set('tls-key', 'over tls');
    expect(await conn.client.get('tls-key')).toBe('over tls');
    const heard: string[] = [];
    conn.subscribe('tls-ch', (m) => heard.push(m));
    await until('subscribed', async () => (await conn?.client.publish('tls-ch', 'hello')) === 1);
    await until('message heard', () => heard.includes('hello'));
  });

  it('without the CA, or with another one, says the certificate is not trusted, within a bound', async () => {
    for (const caFile of [undefined, otherCaFile]) {
      const c = connectRedis({ address: at(redis.port), password: 'tls-pass', logger, ...(caFile ? { caFile } : {}) });
      try {
        const reason = await reasonWithin(c, /certificate is not trusted/);
        expect(reason).toContain(redis.url);
        expect(reason).toContain('spec.sessionStorage.caBundleRef');
        expect(reason).not.toContain('tls-pass');
        const started = performance.now();
        await expect(c.client.get('tls-key')).rejects.toThrow();
        expect(performance.now() - started).toBeLessThan(500);
      } finally {
        await c.close();
      }
    }
  });

  it('a CA file that is missing or holds no certificate is the reason, and nothing connects', async () => {
    const notPem = join(redis.dir, 'not-pem.crt');
    await writeFile(notPem, 'not a certificate\n');
    const cases: [string, RegExp][] = [
      [join(redis.dir, 'absent.crt'), /CA file .*absent\.crt cannot be read: ENOENT/],
      [notPem, /CA file .*not-pem\.crt holds no PEM certificate/],
    ];
    for (const [caFile, pattern] of cases) {
      const c = connectRedis({ address: at(redis.port), caFile, logger });
      try {
        // At once: the file is read before any connection is tried.
        expect(c.state().reason).toMatch(pattern);
        expect(c.state().ready).toBe(false);
        await expect(c.client.get('tls-key')).rejects.toThrow();
      } finally {
        await c.close();
      }
    }
  });

  it('rediss:// to a server without TLS: the handshake is given up after the connect timeout, saying so', async () => {
    const plain = await startRedis();
    const c = connectRedis({ address: at(plain.port), logger });
    try {
      await reasonWithin(c, /no connection or TLS handshake within 2000 ms: .*the server speaks TLS on this port/);
    } finally {
      await c.close();
      await plain.stop();
    }
  });

  it('checks the certificate against an IP host (its IP SANs) and names a host it was not issued for', async () => {
    // The server's certificate lists 127.0.0.1, ::1 and localhost; 127.0.0.2 is loopback too, but not listed.
    const server = await tlsServer('127.0.0.2');
    try {
      const c = connectRedis({
        address: at(server.port, '127.0.0.2'),
        caFile: server.caFile,
        logger,
      });
      try {
        await reasonWithin(c, /certificate is not issued for 127\.0\.0\.2/);
      } finally {
        await c.close();
      }
    } finally {
      await server.close();
    }
  });

  it('sends SNI for a DNS name and none for an IP address', async () => {
    const server = await tlsServer('127.0.0.1');
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.name);
    process.on('warning', onWarning);
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        const c = connectRedis({ address: at(server.port, host), caFile: server.caFile, logger });
        try {
          await until(`a TLS handshake from ${host}`, () => server.handshakes.length > 0);
        } finally {
          await c.close();
        }
        expect(server.handshakes[0], host).toBe(host === 'localhost' ? 'localhost' : false);
        server.handshakes.length = 0;
      }
      // RFC 6066 forbids an IP address as server name; Node warns (DEP0123) when one is set.
      expect(warnings).not.toContain('DEP0123');
    } finally {
      process.off('warning', onWarning);
      await server.close();
    }
  });

  it('closes within its bound when the server drops each connection right after the TLS handshake', async () => {
    // node-redis then leaves its connection set-up unanswered: a close that waited on it would never return. A close
    // within a few ms of the handshake hits that window nearly always (polled every ms below).
    const server = await tlsServer('127.0.0.1');
    try {
      for (let i = 0; i < 8; i++) {
        server.handshakes.length = 0;
        const c = connectRedis({ address: at(server.port), caFile: server.caFile, logger });
        await until('a TLS handshake', () => server.handshakes.length > 0, { intervalMs: 1 });
        const started = performance.now();
        await c.close();
        expect(performance.now() - started, `close ${i}`).toBeLessThan(3000);
      }
    } finally {
      await server.close();
    }
  });
});

/** A TLS server (not Redis) with a certificate for 127.0.0.1/localhost that records each handshake's server name. */
async function tlsServer(host: string): Promise<{
  port: number;
  caFile: string;
  handshakes: (string | false)[];
  close(): Promise<void>;
}> {
  const certs = await makeControlPlaneCerts(new Date());
  const caFile = join(redis.dir, `sni-ca-${host}.crt`);
  await writeFile(caFile, certs.servingCa.certPem);
  const handshakes: (string | false)[] = [];
  const server: Server = createServer({ cert: certs.serving.certPem, key: certs.serving.keyPem }, (socket) => {
    handshakes.push(socket.servername ?? false);
    socket.destroy();
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caFile,
    handshakes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type CertFiles = { certFile: string; keyFile: string };
type PemPair = { certPem: string; keyPem: string };

/** As the kubelet updates a mounted Secret: each file replaced whole (written beside it, then renamed over it). */
async function installPair(files: CertFiles, pair: PemPair): Promise<void> {
  await writeFile(`${files.keyFile}.new`, pair.keyPem);
  await rename(`${files.keyFile}.new`, files.keyFile);
  await writeFile(`${files.certFile}.new`, pair.certPem);
  await rename(`${files.certFile}.new`, files.certFile);
}

async function filesOf(f: CertFiles): Promise<PemPair> {
  return { certPem: await readFile(f.certFile, 'utf8'), keyPem: await readFile(f.keyFile, 'utf8') };
}

describe('redis connection over TLS with client certificates (tls-auth-clients yes)', () => {
  let mtls: RedisFixture;
  beforeAll(async () => {
    mtls = await startRedis({ tls: true, clientAuth: true, password: 'mtls-pass' });
  });
  afterAll(async () => {
    await mtls?.stop();
  });
  const base = () => ({ address: at(mtls.port), password: 'mtls-pass', caFile: mtls.ca?.file ?? '', logger });
  /** A connection (the test's `conn`) whose certificate files are watched every 100 ms, and its log lines. */
  const watching = (files: CertFiles) => {
    const lines: string[] = [];
    const watched = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const c = connectRedis({
      ...base(),
      logger: watched,
      clientCert: files,
      watchTls: { clock: systemClock, intervalMs: 100 },
    });
    conn = c;
    return { c, lines };
  };

  it('presents the client certificate: commands and pub/sub round-trip', async () => {
    conn = connectRedis({ ...base(), clientCert: mtls.client! });
    await until('connected with a client certificate', () => conn?.state().ready === true, { timeoutMs: 10_000 });
    await conn.client.set('mtls-key', 'with a client certificate');
    expect(await conn.client.get('mtls-key')).toBe('with a client certificate');
    const heard: string[] = [];
    conn.subscribe('mtls-ch', (m) => heard.push(m));
    await until('subscribed', async () => (await conn?.client.publish('mtls-ch', 'hello')) === 1);
    await until('message heard', () => heard.includes('hello'));
  });

  it('without a certificate, or with one another CA issued, says the server refused, within a bound', async () => {
    const stranger = await makeControlPlaneCerts(new Date());
    const strangerPair = await stranger.issueClient('stranger', []);
    const sameName = { certFile: join(mtls.dir, 'stranger.crt'), keyFile: join(mtls.dir, 'stranger.key') };
    await writeFile(sameName.certFile, strangerPair.certPem);
    await writeFile(sameName.keyFile, strangerPair.keyPem);
    // The server's own certificate: from the serving CA, which the server does not trust for clients.
    const otherCa = { certFile: join(mtls.dir, 'server.crt'), keyFile: join(mtls.dir, 'server.key') };
    const refused = /the server refused the client certificate \(.*\): give one issued by a CA the server trusts/;
    const cases: [string, Partial<Parameters<typeof connectRedis>[0]>, RegExp][] = [
      ['none', {}, /the server asks for a client certificate and none was given; give one \(sessionStore\.certFile/],
      ['a CA of the same name', { clientCert: sameName }, refused],
      ['another CA', { clientCert: otherCa }, refused],
    ];
    for (const [name, more, pattern] of cases) {
      const c = connectRedis({ ...base(), ...more });
      try {
        const reason = await reasonWithin(c, pattern);
        expect(reason, name).toContain(mtls.url);
        expect(reason, name).not.toContain('mtls-pass');
      } finally {
        await c.close();
      }
    }
  });

  it('takes up changed certificate files without a restart, and keeps a working connection over unusable ones', async () => {
    const files = { certFile: join(mtls.dir, 'rotating.crt'), keyFile: join(mtls.dir, 'rotating.key') };
    const install = (pair: PemPair) => installPair(files, pair);
    await install(await (await makeControlPlaneCerts(new Date())).issueClient('stranger', []));
    const { c, lines } = watching(files);
    await reasonWithin(c, /the server refused the client certificate/);

    // Renewed with one the server trusts: connected, the same connection object, no restart.
    await install(await filesOf(mtls.client!));
    await until('connected with the renewed certificate', () => c.state().ready, { timeoutMs: 10_000 });
    const heard: string[] = [];
    c.subscribe('rotating-ch', (m) => heard.push(m));
    await until('message heard', async () => {
      await c.client.publish('rotating-ch', 'before');
      return heard.includes('before');
    });

    // An unusable renewal (expired) is said, and the working clients stay.
    const working = c.client;
    await install(await filesOf(mtls.expiredClient!));
    await until('the unusable files reported', () =>
      lines.some((l) => l.includes('cannot be used') && l.includes('expired on')),
    );
    expect(c.state().ready).toBe(true);
    expect(c.client).toBe(working);
    expect(await c.client.ping()).toBe('PONG');

    // One valid only from two seconds on: refused for now, taken up once valid with no further change to the files.
    await install(await mtls.issueClient!('mcpre-gateway-next', new Date(Date.now() + 2000)));
    await until('the early certificate reported', () =>
      lines.some((l) => l.includes('cannot be used') && l.includes('not valid before')),
    );
    expect(c.client).toBe(working);
    await until('new clients in use', () => c.client !== working, { timeoutMs: 10_000 });
    expect(c.state().ready).toBe(true);
    await until('the old clients closed', () => !working.isOpen, { timeoutMs: 5000 });

    // The subscription moved with the clients: a message is heard, once.
    heard.length = 0;
    await until('message heard after the renewal', async () => {
      if (heard.length === 0) await c.client.publish('rotating-ch', 'after');
      return heard.length > 0;
    });
    expect(await c.client.publish('rotating-ch', 'last')).toBe(1);
    await until('the last message heard', () => heard.includes('last'));
    expect(heard).toEqual(['after', 'last']);
    expect(lines.join('')).not.toContain('PRIVATE KEY');
    expect(lines.join('')).not.toContain('mtls-pass');
  });

  it('a renewal moves pub/sub to the new clients with no message missed or repeated, in order', async () => {
    const files = { certFile: join(mtls.dir, 'handover.crt'), keyFile: join(mtls.dir, 'handover.key') };
    await installPair(files, await filesOf(mtls.client!));
    const { c, lines } = watching(files);
    const publisher = connectRedis({ ...base(), clientCert: mtls.client! });
    try {
      await until('both connected', () => c.state().ready && publisher.state().ready, { timeoutMs: 10_000 });
      const heard: string[] = [];
      c.subscribe('handover-ch', (m) => heard.push(m));
      await until('subscribed', async () => (await publisher.client.publish('handover-ch', 'start')) === 1);
      await until('the first message heard', () => heard.includes('start'));
      heard.length = 0;
      // Numbered messages all through the renewal: bounded in count and stopped once it is over.
      let published = 0;
      let stop = false;
      const publishing = (async () => {
        // 50 at a time on one connection: Redis runs them in the order sent, and many are in flight at the switch.
        while (!stop && published < 500_000) {
          await Promise.all(
            Array.from({ length: 50 }, () => publisher.client.publish('handover-ch', String(published++))),
          );
        }
      })();
      const working = c.client;
      await until('some messages heard before the renewal', () => heard.length > 100);
      await installPair(files, await mtls.issueClient!('mcpre-gateway-handover', new Date()));
      await until('new clients in use', () => c.client !== working, { timeoutMs: 10_000 });
      await until('the old clients closed', () => !working.isOpen, { timeoutMs: 5000 });
      const at = published;
      await until('more messages heard after the renewal', () => heard.length > at + 100, { timeoutMs: 10_000 });
      stop = true;
      await publishing;
      await until('every message heard', () => heard.length >= published, { timeoutMs: 10_000 });
      const expected = Array.from({ length: published }, (_, n) => String(n));
      expect(heard.length).toBe(expected.length);
      expect(heard).toEqual(expected);
      expect(lines.join('')).not.toContain('handover unconfirmed');
    } finally {
      await publisher.close();
    }
  });

  it('a certificate or key file that cannot be used is the reason at once, naming the file and never the key', async () => {
    const other = await makeControlPlaneCerts(new Date());
    const otherKey = join(mtls.dir, 'other.key');
    await writeFile(otherKey, other.admin.keyPem);
    const notKey = join(mtls.dir, 'not-a-key.key');
    await writeFile(notKey, 'not a key\n');
    const encrypted = join(mtls.dir, 'encrypted.key');
    await writeFile(encrypted, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n');
    const { certFile, keyFile } = mtls.client!;
    const cases: [{ certFile: string; keyFile: string }, RegExp][] = [
      [{ certFile: join(mtls.dir, 'absent.crt'), keyFile }, /client certificate .*absent\.crt cannot be read: ENOENT/],
      [{ certFile: keyFile, keyFile }, /client certificate .*client\.key holds no PEM certificate/],
      [{ certFile, keyFile: join(mtls.dir, 'absent.key') }, /client key .*absent\.key cannot be read: ENOENT/],
      [{ certFile, keyFile: notKey }, /client key .*not-a-key\.key holds no PEM private key/],
      [{ certFile, keyFile: encrypted }, /client key .*encrypted\.key is encrypted/],
      [
        { certFile, keyFile: otherKey },
        /client key .*other\.key cannot be used with certificate .*client\.crt: .*mismatch/,
      ],
      // Refused at start with its date, not by the server with a bare alert.
      [mtls.expiredClient!, /client certificate .*expired\.crt expired on 20\d\d-\d\d-\d\dT.*: renew it/],
    ];
    for (const [clientCert, pattern] of cases) {
      const c = connectRedis({ ...base(), clientCert });
      try {
        expect(c.state().reason).toMatch(pattern);
        expect(c.state().reason).not.toContain('PRIVATE KEY');
        expect(c.state().ready).toBe(false);
        await expect(c.client.get('mtls-key')).rejects.toThrow();
      } finally {
        await c.close();
      }
    }
  });
});
