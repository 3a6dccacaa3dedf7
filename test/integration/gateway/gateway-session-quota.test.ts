// One client cannot take every session slot. Sessions count against a quota per client (the source address of the
// connection when anonymous, the token's subject with OIDC) and against the gateway's cap; when either is reached the
// least recently active idle session makes room, and only when none is idle is the newcomer refused, with 429 (its
// own quota) or 503 (the gateway's cap) and a JSON-RPC error saying which. Anonymous clients come from different
// loopback addresses (127.0.0.2, 127.0.0.3, ...) by binding the client side of the connection.
import { pino } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayConfigInput, validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type OidcIssuer, startOidcIssuer } from '../../fixtures/mcp/oidc-issuer.ts';
import { eventually } from '../../support/eventually.ts';
import { mcpHeaders, SESSION_REVISION as version } from '../../support/mcp-http.ts';

interface Answer {
  status: number;
  session?: string;
  retryAfter?: string | null;
  error?: { code: number; message: string };
}

/** A raw MCP client on its own loopback address, optionally with a bearer token. */
class RawClient {
  readonly #agent: Agent;
  readonly #url: URL;
  readonly #bearer?: string;
  readonly #calls: AbortController[] = [];

  constructor(url: URL, address: string, bearer?: string) {
    this.#url = url;
    this.#bearer = bearer;
    this.#agent = new Agent({ localAddress: address });
  }

  post(body: object, session?: string, signal?: AbortSignal) {
    return undiciFetch(this.#url, {
      method: 'POST',
      dispatcher: this.#agent,
      signal,
      headers: mcpHeaders(session, this.#bearer ? { authorization: `Bearer ${this.#bearer}` } : {}),
      body: JSON.stringify(body),
    });
  }

  async initialize(): Promise<Answer> {
    const res = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'quota-test', version: '1' } },
    });
    const text = await res.text();
    if (res.status !== 200) {
      return { status: res.status, retryAfter: res.headers.get('retry-after'), ...(JSON.parse(text) as object) };
    }
    const session = res.headers.get('mcp-session-id')!;
    const initialized = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    await initialized.text();
    return { status: 200, session };
  }

  /** tools/list on a session: 200 while it exists, 404 once it was closed. */
  async listTools(session: string): Promise<number> {
    const res = await this.post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, session);
    await res.text();
    return res.status;
  }

  /** Keep the session busy with a long tool call until `release()`. */
  async busy(session: string): Promise<void> {
    const abort = new AbortController();
    this.#calls.push(abort);
    const res = await this.post(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'demo_count', arguments: { n: 100, delayMs: 1000 } },
      },
      session,
      abort.signal,
    );
    // The body is left unread: the call stays in flight until aborted.
    expect(res.status).toBe(200);
  }

  /** End the oldest busy call (the client hangs up). */
  releaseOne(): void {
    this.#calls.shift()?.abort();
  }

  async close(): Promise<void> {
    for (const c of this.#calls) c.abort();
    await this.#agent.close();
  }
}

describe('session quotas', () => {
  let backend: DemoBackend;
  let gateway: RunningGateway | undefined;
  let clients: RawClient[] = [];

  beforeAll(async () => {
    backend = await startDemoBackend();
  });

  afterEach(async () => {
    for (const c of clients) await c.close();
    clients = [];
    await gateway?.close();
    gateway = undefined;
  });

  afterAll(async () => {
    await backend?.close();
  });

  async function start(extra: Partial<GatewayConfigInput> & { server: object }) {
    gateway = await startGateway({
      config: validateGatewayConfig({ backends: [{ name: 'demo', url: backend.url.href }], ...extra }),
      logger: pino({ level: 'silent' }),
    });
    await eventually('gateway ready', async () => (gateway!.readiness().ready ? true : undefined));
    return gateway;
  }

  const client = (address: string, bearer?: string) => {
    const c = new RawClient(gateway!.url, address, bearer);
    clients.push(c);
    return c;
  };

  const counter = async (name: 'sessionsEvicted' | 'httpRejections', reason: string) =>
    (await gateway!.metrics[name].get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  describe('anonymous: one quota per source address', () => {
    it('a client opening sessions without end only recycles its own, and cannot keep another address out', async () => {
      await start({ server: { maxSessions: 5, maxSessionsPerClient: 3 } });
      const flood = client('127.0.0.2');
      const other = client('127.0.0.3');
      const mine = await other.initialize();
      expect(mine.status).toBe(200);

      const flooded: string[] = [];
      for (let i = 0; i < 30; i++) {
        const a = await flood.initialize();
        expect(a.status, `flood session ${i}`).toBe(200);
        flooded.push(a.session!);
      }
      // The flood holds its quota of 3, no more; its older sessions were closed to make room.
      expect((await gateway!.metrics.sessions.get()).values[0]?.value).toBe(4);
      expect(await counter('sessionsEvicted', 'client-quota')).toBe(27);
      expect(await flood.listTools(flooded[0]!)).toBe(404);
      expect(await flood.listTools(flooded.at(-1)!)).toBe(200);
      // The other client's session was never touched, and it gets the slots the flood cannot take.
      expect(await other.listTools(mine.session!)).toBe(200);
      const second = await other.initialize();
      expect(second.status).toBe(200);

      // The gateway is full (3 + 2): a third address gets in by closing the least recently active idle session,
      // which is the flood's (the other client just used both of its own).
      expect(await other.listTools(mine.session!)).toBe(200);
      const third = await client('127.0.0.4').initialize();
      expect(third.status).toBe(200);
      expect(await counter('sessionsEvicted', 'capacity')).toBe(1);
      expect(await other.listTools(mine.session!)).toBe(200);
      expect(await other.listTools(second.session!)).toBe(200);
    });

    it('refuses with 429 when all of a client’s sessions are busy, with 503 when all sessions are, and admits once one is idle', async () => {
      await start({ server: { maxSessions: 5, maxSessionsPerClient: 3 } });
      const a = client('127.0.0.2');
      for (let i = 0; i < 3; i++) await a.busy((await a.initialize()).session!);
      const refused = await a.initialize();
      expect(refused).toMatchObject({
        status: 429,
        retryAfter: '5',
        error: {
          code: -32000,
          message: expect.stringMatching(/Too many sessions for this client: all 3 allowed are busy/),
        },
      });
      expect(await counter('httpRejections', 'client-quota')).toBe(1);

      const b = client('127.0.0.3');
      for (let i = 0; i < 2; i++) await b.busy((await b.initialize()).session!);
      const c = client('127.0.0.4');
      const full = await c.initialize();
      expect(full).toMatchObject({
        status: 503,
        retryAfter: '5',
        error: {
          code: -32000,
          message: expect.stringMatching(/Too many sessions: all 5 this gateway allows are busy/),
        },
      });
      expect(await counter('httpRejections', 'capacity')).toBe(1);

      // One of A's calls ends: that session is idle now, and makes room for C.
      a.releaseOne();
      const admitted = await eventually('C admitted', async () => {
        const r = await c.initialize();
        return r.status === 200 ? r : undefined;
      });
      expect(admitted.session).toBeTruthy();
      expect(await counter('sessionsEvicted', 'capacity')).toBe(1);
    });
  });

  describe('OIDC: one quota per identity', () => {
    let idp: OidcIssuer;

    beforeAll(async () => {
      idp = await startOidcIssuer();
    });

    afterAll(async () => {
      await idp?.close();
    });

    const token = (sub: string) => idp.token({ sub });

    it('a user opening sessions without end cannot keep another user out, from the same address', async () => {
      await start({
        incomingAuth: { type: 'oidc', issuer: idp.issuer, audience: 'mcpre-gateway', jwksUrl: idp.jwksUrl },
        server: { maxSessions: 6, maxSessionsPerClient: 3 },
      });
      const alice = client('127.0.0.2', await token('alice'));
      const bob = client('127.0.0.2', await token('bob'));
      for (let i = 0; i < 20; i++) expect((await alice.initialize()).status, `alice session ${i}`).toBe(200);
      const bobs = await bob.initialize();
      expect(bobs.status).toBe(200);
      expect(await counter('sessionsEvicted', 'client-quota')).toBe(17);
      expect(await bob.listTools(bobs.session!)).toBe(200);

      // Alice's three sessions busy: she is refused, Bob (same address) is not.
      const busy: string[] = [];
      for (let i = 0; i < 3; i++) {
        const s = (await alice.initialize()).session!;
        busy.push(s);
        await alice.busy(s);
      }
      const refused = await alice.initialize();
      expect(refused.status).toBe(429);
      expect(refused.error?.message).toMatch(/Too many sessions for this client/);
      expect((await bob.initialize()).status).toBe(200);
      expect(await bob.listTools(bobs.session!)).toBe(200);
    });
  });
});
