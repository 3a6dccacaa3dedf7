// `mcpre gateway` with its client sessions on a real redis-server that serves TLS only, with a certificate from a
// private CA: with the config's sessionStore.caFile naming that CA it is ready and a client session lives in Redis;
// with another CA, or a CA file that is missing (given by --session-store-ca-file), /readyz and the log say why in one
// line (never the password), and the process keeps running. A server that asks clients for a certificate
// (tls-auth-clients yes) gets the one the config file or the flags name; without one the reason says it asks; files
// written after the start are taken up without a restart.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { connectRedis } from '../../../src/runtime/redis-connection.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { type RunningChild, servingUrl, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';
import { send } from '../../support/mcp-http.ts';
import { type RedisFixture, startRedis } from '../../support/redis-server.ts';

const PASSWORD = 'tls-gateway-password';
let dir: string;
let redis: RedisFixture;
let backend: FaultServer;
const gateways: RunningChild[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpre-gateway-tls-'));
  redis = await startRedis({ tls: true, password: PASSWORD });
  backend = await startFaultServer({ tools: ['echo', 'add'] });
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop(5000)));
});
afterAll(async () => {
  await backend?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A gateway in front of the fault backend, with `sessionStore` in its config file (if any) and `flags`. */
async function startGateway(
  name: string,
  sessionStore: Record<string, string> | undefined,
  flags: string[] = [],
): Promise<{ process: RunningChild; url: URL }> {
  const config = join(dir, `${name}.yaml`);
  const store = sessionStore ? { sessionStore } : {};
  await writeFile(config, JSON.stringify({ backends: [{ name: 'fx', url: backend.url }], ...store }));
  const child = spawnMcpre(['gateway', '--port', '0', '--config', config, ...flags], {
    ...process.env,
    KUBERNETES_SERVICE_HOST: '',
    MCPRE_SESSION_STORE_PASSWORD: PASSWORD,
  });
  gateways.push(child);
  return { process: child, url: await servingUrl(child) };
}

async function readyz(url: URL) {
  const res = await fetch(new URL('/readyz', url));
  const text = await res.text();
  return { status: res.status, text };
}

describe('gateway with its session store over TLS', () => {
  it('trusts the CA file: ready, and a client session is stored in Redis', async () => {
    const gw = await startGateway('trusted', { url: redis.url, caFile: redis.ca?.file ?? '' });
    await waitForReadyz(gw.url, gw.process);
    expect(JSON.parse((await readyz(gw.url)).text)).toMatchObject({ sessionStore: { url: redis.url, ready: true } });
    const init = await send(gw, 'POST', undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'tls-test', version: '1' } },
    });
    expect(init.status).toBe(200);
    await init.body?.cancel();
    // The session's record is in Redis: read back over TLS with the same CA.
    const probe = connectRedis({
      address: { tls: true, host: '127.0.0.1', port: redis.port, db: 0 },
      password: PASSWORD,
      caFile: redis.ca?.file ?? '',
      logger: pino({ level: 'silent' }),
    });
    try {
      await until('connected', () => probe.state().ready);
      expect(await probe.client.dbSize()).toBeGreaterThan(0);
    } finally {
      await probe.close();
    }
  });

  it('with another CA or a missing CA file: not ready, the reason in /readyz and the log, never the password', async () => {
    const otherCa = join(dir, 'other-ca.crt');
    await writeFile(otherCa, (await makeControlPlaneCerts(new Date())).servingCa.certPem);
    const cases: [string, RegExp][] = [
      [otherCa, /certificate is not trusted/],
      [join(dir, 'absent-ca.crt'), /CA file \S*absent-ca\.crt cannot be read: ENOENT/],
    ];
    for (const [caFile, pattern] of cases) {
      const absent = caFile.includes('absent');
      // The missing file comes from the flags, the other CA from the config file.
      const gw = absent
        ? await startGateway('absent', undefined, ['--session-store', redis.url, '--session-store-ca-file', caFile])
        : await startGateway('other', { url: redis.url, caFile });
      await until(`/readyz to say ${pattern}`, async () => pattern.test((await readyz(gw.url)).text), {
        timeoutMs: 10_000,
      });
      const answer = await readyz(gw.url);
      expect(answer.status).toBe(503);
      expect(answer.text).toContain(redis.url);
      await until(`the log to say ${pattern}`, () => pattern.test(gw.process.stderr()));
      expect(gw.process.stderr()).not.toContain(PASSWORD);
      expect(answer.text).not.toContain(PASSWORD);
      expect(gw.process.child.exitCode).toBeNull();
    }
  });
});

describe('gateway with a session store that asks for client certificates (tls-auth-clients yes)', () => {
  let mtls: RedisFixture;
  beforeAll(async () => {
    mtls = await startRedis({ tls: true, clientAuth: true, password: PASSWORD });
  });
  afterAll(async () => {
    await mtls?.stop();
  });

  /** A gateway trusting the server's CA, with the client certificate from its config file, the flags, or nowhere. */
  function start(name: string, how: 'config' | 'flags' | 'none') {
    const { certFile, keyFile } = mtls.client!;
    const pair: Record<string, string> = how === 'config' ? { certFile, keyFile } : {};
    const flags = how === 'flags' ? ['--session-store-cert-file', certFile, '--session-store-key-file', keyFile] : [];
    return startGateway(name, { url: mtls.url, caFile: mtls.ca?.file ?? '', ...pair }, flags);
  }

  it('presents the certificate from the config file or the flags: ready, and a session lives in Redis', async () => {
    for (const how of ['config', 'flags'] as const) {
      const gw = await start(`mtls-${how}`, how);
      await waitForReadyz(gw.url, gw.process);
      expect(JSON.parse((await readyz(gw.url)).text), how).toMatchObject({
        sessionStore: { url: mtls.url, ready: true },
      });
      const init = await send(gw, 'POST', undefined, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mtls-test', version: '1' } },
      });
      expect(init.status, how).toBe(200);
      const session = init.headers.get('mcp-session-id') ?? '';
      await init.body?.cancel();
      const probe = connectRedis({
        address: { tls: true, host: '127.0.0.1', port: mtls.port, db: 0 },
        password: PASSWORD,
        caFile: mtls.ca?.file ?? '',
        clientCert: mtls.client!,
        logger: pino({ level: 'silent' }),
      });
      try {
        await until('connected', () => probe.state().ready);
        const keys = await probe.client.keys('mcpre:*');
        expect(
          keys.some((k) => k.includes(session)),
          how,
        ).toBe(true);
      } finally {
        await probe.close();
      }
    }
  });

  it('takes up certificate files written after it started, without a restart', async () => {
    const certFile = join(dir, 'late.crt');
    const keyFile = join(dir, 'late.key');
    const gw = await startGateway('mtls-late', { url: mtls.url, caFile: mtls.ca?.file ?? '', certFile, keyFile });
    await until(
      '/readyz to name the missing file',
      async () => /late\.crt cannot be read/.test((await readyz(gw.url)).text),
      {
        timeoutMs: 10_000,
      },
    );
    expect((await readyz(gw.url)).status).toBe(503);
    await writeFile(keyFile, await readFile(mtls.client!.keyFile, 'utf8'), { mode: 0o600 });
    await writeFile(certFile, await readFile(mtls.client!.certFile, 'utf8'));
    await waitForReadyz(gw.url, gw.process);
    expect(JSON.parse((await readyz(gw.url)).text)).toMatchObject({ sessionStore: { url: mtls.url, ready: true } });
    await until('the log to say it connected', () => gw.process.stderr().includes('session store connected'));
    expect(gw.process.stderr()).not.toContain('PRIVATE KEY');
  });

  it('without a certificate: not ready, /readyz and the log say the server asks for one', async () => {
    const gw = await start('mtls-none', 'none');
    const pattern = /the server asks for a client certificate and none was given/;
    await until(`/readyz to say ${pattern}`, async () => pattern.test((await readyz(gw.url)).text), {
      timeoutMs: 10_000,
    });
    expect((await readyz(gw.url)).status).toBe(503);
    await until(`the log to say ${pattern}`, () => pattern.test(gw.process.stderr()));
    expect(gw.process.stderr()).not.toContain(PASSWORD);
    expect(gw.process.child.exitCode).toBeNull();
  });
});
