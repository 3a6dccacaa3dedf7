// A real redis-server for the tests: a child process on 127.0.0.1 (under the control plane's guardian, so it cannot
// outlive the test worker), a free port, its files in a scratch directory that is removed at the end, ready once it
// answers PING. It can be stopped and started again on the same port and files, frozen and thawed. The binary is the
// one the integration setup resolved (REDIS_SERVER_BIN, from Debian's redis-server package). With `tls` it serves
// TLS only (Debian builds it with TLS): a CA and a serving certificate for 127.0.0.1/localhost from the control
// plane's certificate maker, the plaintext port off, and readiness a PING over TLS that trusts that CA. With
// `clientAuth` it also asks clients for a certificate from the maker's client CA, and hands out one it accepts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { makeControlPlaneCerts } from '../../src/control-plane/certs.ts';
import { freePort } from '../../src/control-plane/free-port.ts';
import { type SupervisedProcess, startSupervised } from '../../src/control-plane/supervised-process.ts';
import { accepts } from './child-process.ts';
import { eventually } from './eventually.ts';

export interface RedisFixtureOptions {
  /** Clients must AUTH with this (`requirepass`). */
  password?: string;
  /**
   * Keep every write across a restart, even after SIGKILL: an append-only file in the scratch directory, fsynced on
   * every write. Without it nothing is persisted: a restart starts empty.
   */
  durable?: boolean;
  /** Serve TLS only (`rediss://`), with a certificate for 127.0.0.1 and localhost from a CA of its own. */
  tls?: boolean;
  /** With `tls`: ask every client for a certificate issued by a client CA of its own (`tls-auth-clients yes`). */
  clientAuth?: boolean;
}

export interface RedisFixture {
  port: number;
  /** `redis://127.0.0.1:PORT`, or `rediss://` with `tls` (the password is never part of it). */
  url: string;
  password?: string;
  /** With `tls`: the CA that issued the server's certificate, as a file in the scratch directory and as text. */
  ca?: { file: string; pem: string };
  /** With `clientAuth`: a client certificate and key the server accepts, as files in the scratch directory. */
  client?: { certFile: string; keyFile: string };
  /** With `clientAuth`: one from the same CA that expired a day ago. */
  expiredClient?: { certFile: string; keyFile: string };
  /** With `clientAuth`: another certificate from the CA the server trusts for clients (valid from `notBefore`). */
  issueClient?: (name: string, notBefore?: Date) => Promise<{ certPem: string; keyPem: string }>;
  dir: string;
  /** Stop (SIGTERM: a clean shutdown; SIGKILL: a crash) and start again on the same port and files; resolves when ready. */
  restart(opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** Stop without starting again (until `start`): clients see the server gone. */
  down(opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** Start again after `down`, on the same port and files; resolves when ready. */
  up(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Stop for good and remove the scratch directory. */
  stop(): Promise<void>;
}

export function redisServerBinary(): string {
  const bin = process.env.REDIS_SERVER_BIN;
  if (!bin)
    throw new Error('REDIS_SERVER_BIN is not set: run this test in the integration project (its setup resolves it)');
  return bin;
}

export async function startRedis(opts: RedisFixtureOptions = {}): Promise<RedisFixture> {
  const bin = redisServerBinary();
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-redis-'));
  const port = await freePort();
  const lines = [
    // With TLS the plaintext port is off: every client, readiness included, must speak TLS.
    opts.tls ? 'port 0' : `port ${port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    'daemonize no',
    `dir ${dir}`,
    'save ""',
    opts.durable ? 'appendonly yes' : 'appendonly no',
    ...(opts.durable ? ['appendfsync always'] : []),
    ...(opts.password ? [`requirepass ${JSON.stringify(opts.password)}`] : []),
    'loglevel warning',
  ];
  let ca: { file: string; pem: string } | undefined;
  let client: { certFile: string; keyFile: string; pem: { cert: string; key: string } } | undefined;
  let expiredClient: { certFile: string; keyFile: string } | undefined;
  let issueClient: RedisFixture['issueClient'];
  if (opts.tls) {
    const certs = await makeControlPlaneCerts(new Date());
    ca = { file: join(dir, 'ca.crt'), pem: certs.servingCa.certPem };
    await writeFile(ca.file, ca.pem);
    await writeFile(join(dir, 'server.crt'), certs.serving.certPem);
    await writeFile(join(dir, 'server.key'), certs.serving.keyPem, { mode: 0o600 });
    // Client certificates are checked against tls-ca-cert-file: the client CA when they are asked for.
    const clientCaFile = join(dir, 'client-ca.crt');
    await writeFile(clientCaFile, certs.clientCa.certPem);
    if (opts.clientAuth) {
      issueClient = (name, notBefore) => certs.issueClient(name, [], notBefore);
      const pair = await certs.issueClient('mcpre-gateway', []);
      client = {
        certFile: join(dir, 'client.crt'),
        keyFile: join(dir, 'client.key'),
        pem: { cert: pair.certPem, key: pair.keyPem },
      };
      await writeFile(client.certFile, pair.certPem);
      await writeFile(client.keyFile, pair.keyPem, { mode: 0o600 });
      // Valid for 7 days from 8 days ago.
      const old = await certs.issueClient('mcpre-gateway', [], new Date(Date.now() - 8 * 24 * 3600 * 1000));
      expiredClient = { certFile: join(dir, 'expired.crt'), keyFile: join(dir, 'expired.key') };
      await writeFile(expiredClient.certFile, old.certPem);
      await writeFile(expiredClient.keyFile, old.keyPem, { mode: 0o600 });
    }
    lines.push(
      `tls-port ${port}`,
      `tls-cert-file ${join(dir, 'server.crt')}`,
      `tls-key-file ${join(dir, 'server.key')}`,
      `tls-ca-cert-file ${opts.clientAuth ? clientCaFile : ca.file}`,
      `tls-auth-clients ${opts.clientAuth ? 'yes' : 'no'}`,
    );
  }
  const tlsCa = ca?.pem;
  const identity = client ? { cert: client.pem.cert, key: client.pem.key } : {};
  const dial = (): { socket: Socket; connected: string } =>
    tlsCa
      ? { socket: connectTls({ host: '127.0.0.1', port, ca: tlsCa, ...identity }), connected: 'secureConnect' }
      : { socket: connect({ host: '127.0.0.1', port }), connected: 'connect' };
  const conf = join(dir, 'redis.conf');
  await writeFile(conf, `${lines.join('\n')}\n`, { mode: 0o600 });
  let current: SupervisedProcess | undefined;
  const start = async () => {
    current = startSupervised({
      name: 'redis-server',
      command: bin,
      args: [conf],
      logFile: join(dir, 'redis.log'),
      cleanupDirs: [dir],
    });
    const proc = current;
    let exited = false;
    void proc.exited.then(() => {
      exited = true;
    });
    await eventually(
      `redis-server on port ${port} to answer PING`,
      async () => {
        if (exited) {
          const log = await readFile(proc.logFile, 'utf8').catch(() => '');
          throw new Error(`redis-server exited: ${log.trim().split('\n').slice(-5).join(' | ')}`);
        }
        return (await ping(dial, opts.password)) ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
  };
  const down = async (o: { signal?: 'SIGTERM' | 'SIGKILL' } = {}) => {
    await current?.stop(10_000, { signal: o.signal, keepFiles: true });
    current = undefined;
    // The guardian can be gone a moment before the server's listening socket: start again only once it is closed.
    await eventually(`port ${port} to be free`, async () => ((await accepts(port)) ? undefined : true), {
      timeoutMs: 5000,
      intervalMs: 20,
    });
  };
  await start().catch(async (err: unknown) => {
    await current?.stop(10_000);
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    port,
    url: `${ca ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    ...(opts.password ? { password: opts.password } : {}),
    ...(ca ? { ca } : {}),
    ...(client ? { client: { certFile: client.certFile, keyFile: client.keyFile } } : {}),
    ...(expiredClient ? { expiredClient } : {}),
    ...(issueClient ? { issueClient } : {}),
    dir,
    async restart(o) {
      await down(o);
      await start();
    },
    down,
    up: start,
    freeze: async () => current?.freeze(),
    thaw: async () => current?.thaw(),
    async stop() {
      await current?.stop(10_000);
      current = undefined;
      // Also when no server runs now (a restart that failed): the scratch directory goes in every case.
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One PING (after AUTH when there is a password): true once the server answers PONG (not LOADING, not an error). */
function ping(dial: () => { socket: Socket; connected: string }, password: string | undefined): Promise<boolean> {
  const command = (...args: string[]) =>
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve) => {
    const { socket, connected } = dial();
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('+PONG\r\n')) done(true);
      else if (answer.includes('-')) done(false);
    });
    socket.once(connected, () => socket.write(`${password ? command('AUTH', password) : ''}${command('PING')}`));
  });
}
