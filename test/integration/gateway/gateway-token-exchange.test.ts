// tokenExchange backends through the gateway: a loopback OIDC issuer signs the clients' tokens, a fake RFC 8693 token
// endpoint exchanges them, and an SDK MCP backend records the Authorization header of every HTTP request per backend
// session. Each client gets its own backend session carrying only its own exchanged token; the session limit closes
// the least recently used one, an idle one is closed with DELETE, an anonymous gateway leaves the backend out, and no
// token appears in any log line.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type OidcIssuer, startOidcIssuer } from '../../fixtures/mcp/oidc-issuer.ts';
import { unsignedJwt } from '../../fixtures/mcp/token-server.ts';
import { until } from '../../support/eventually.ts';

const listen = async (server: Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const stop = async (server: Server | undefined) => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
};
const subjectOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string }).sub;

describe('gateway tokenExchange backends: one backend session per client identity', () => {
  let idp: OidcIssuer;
  let sts: Server;
  let backendHttp: Server;
  let tokenUrl: string;
  let backendUrl: string;
  /** Backend session id -> every Authorization header it received; and the sessions that got a DELETE. */
  const authBySession = new Map<string, Set<string>>();
  const deleted: string[] = [];
  /** Every token the test minted or the STS issued: none may appear in a log line. */
  const tokens: string[] = [];
  const exchangedFor = new Map<string, string>();
  const logLines: string[] = [];
  const gateways: RunningGateway[] = [];

  const clientToken = async (sub: string) => {
    const jwt = await idp.token({ sub });
    tokens.push(jwt);
    return jwt;
  };

  const startTe = async (opts: { maxClientSessions?: number; idleSessionSeconds?: number; anonymous?: boolean }) => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          {
            name: 'te',
            url: backendUrl,
            auth: {
              type: 'tokenExchange',
              tokenUrl,
              audience: 'backend-aud',
              clientId: 'gateway',
              ...(opts.maxClientSessions ? { maxClientSessions: opts.maxClientSessions } : {}),
              ...(opts.idleSessionSeconds ? { idleSessionSeconds: opts.idleSessionSeconds } : {}),
            },
          },
        ],
        incomingAuth: opts.anonymous
          ? { type: 'anonymous' }
          : { type: 'oidc', issuer: idp.issuer, audience: 'mcpre-gateway' },
      }),
      logger: pino({ level: 'trace' }, sink),
    });
    gateways.push(gateway);
    return gateway;
  };

  /** Connect as `sub`, call the backend's tool, and return the backend session that served it. */
  const callAs = async (gateway: RunningGateway, sub: string) => {
    const client = new Client({ name: `client-${sub}`, version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(gateway.url, {
        requestInit: { headers: { authorization: `Bearer ${await clientToken(sub)}` } },
      }),
    );
    await until('the tokenExchange backend to list its tools', () =>
      gateway.aggregator.view.tools.some((t) => t.name === 'te_whoami'),
    );
    const result = await client.callTool({ name: 'te_whoami', arguments: {} });
    await client.close();
    return (result.content as Array<{ text: string }>)[0]?.text ?? '';
  };

  beforeAll(async () => {
    idp = await startOidcIssuer();

    // RFC 8693 token endpoint: a fresh backend token per exchange, naming the subject of the client's token.
    sts = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        res.setHeader('content-type', 'application/json');
        if (
          form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange' ||
          form.get('audience') !== 'backend-aud'
        ) {
          res.writeHead(400).end(JSON.stringify({ error: 'invalid_request' }));
          return;
        }
        const sub = subjectOf(form.get('subject_token') ?? '');
        const token = unsignedJwt({ sub: `exchanged:${sub}`, aud: 'backend-aud', jti: randomUUID() });
        tokens.push(token);
        exchangedFor.set(token, sub);
        res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 300 }));
      });
    });
    tokenUrl = `${await listen(sts)}/token`;

    const transports = new Map<string, StreamableHTTPServerTransport>();
    backendHttp = createServer(async (req, res) => {
      const auth = req.headers.authorization ?? '';
      const id = req.headers['mcp-session-id'];
      let t = typeof id === 'string' ? transports.get(id) : undefined;
      if (typeof id === 'string') {
        authBySession.get(id)?.add(auth);
        if (req.method === 'DELETE') deleted.push(id);
      }
      if (!t) {
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid) => {
            transports.set(sid, created);
            authBySession.set(sid, new Set([auth]));
          },
        });
        const server = new McpServer({ name: 'te-backend', version: '1' });
        server.registerTool('whoami', { description: 'the backend session id' }, async (extra) => ({
          content: [{ type: 'text', text: extra.sessionId ?? '' }],
        }));
        await server.connect(created);
        t = created;
      }
      await t.handleRequest(req, res);
    });
    backendUrl = `${await listen(backendHttp)}/mcp`;
  });

  afterAll(async () => {
    await Promise.allSettled(gateways.map((g) => g.close()));
    await Promise.all([idp?.close(), stop(sts), stop(backendHttp)]);
  });

  /** The subjects whose exchanged tokens a backend session saw. */
  const subjectsSeenBy = (session: string) =>
    [...(authBySession.get(session) ?? [])].map((h) => exchangedFor.get(h.replace(/^Bearer /, '')) ?? `?${h}`);

  it('gives each client its own backend session carrying only its own exchanged token', async () => {
    const gateway = await startTe({});
    const alice = await callAs(gateway, 'alice');
    const bob = await callAs(gateway, 'bob');
    const aliceAgain = await callAs(gateway, 'alice');
    expect(alice).not.toBe('');
    expect(bob).not.toBe(alice);
    expect(aliceAgain).toBe(alice);
    expect(new Set(subjectsSeenBy(alice))).toEqual(new Set(['alice']));
    expect(new Set(subjectsSeenBy(bob))).toEqual(new Set(['bob']));
    expect(gateway.backends()).toEqual([{ name: 'te', type: 'direct', state: 'ready', protocolVersion: '2025-11-25' }]);
  });

  it('closes the least recently used client session when the limit is reached', async () => {
    const gateway = await startTe({ maxClientSessions: 2 });
    const alice = await callAs(gateway, 'alice');
    const bob = await callAs(gateway, 'bob');
    expect(deleted).not.toContain(alice);
    const carol = await callAs(gateway, 'carol');
    await until("alice's session to be closed", () => deleted.includes(alice));
    expect(deleted).not.toContain(bob);
    expect(deleted).not.toContain(carol);
    expect(new Set(subjectsSeenBy(carol))).toEqual(new Set(['carol']));
    // Alice comes back: a new session of her own, and now bob is the least recently used.
    const aliceAgain = await callAs(gateway, 'alice');
    expect(aliceAgain).not.toBe(alice);
    expect(new Set(subjectsSeenBy(aliceAgain))).toEqual(new Set(['alice']));
    await until("bob's session to be closed", () => deleted.includes(bob));
    expect(deleted).not.toContain(carol);
  });

  it('closes a client session that stays idle', async () => {
    const gateway = await startTe({ idleSessionSeconds: 1 });
    const dave = await callAs(gateway, 'dave');
    expect(deleted).not.toContain(dave);
    await until("dave's idle session to be closed", () => deleted.includes(dave));
  });

  it('leaves the backend out when incoming auth is anonymous, with the reason', async () => {
    const gateway = await startTe({ anonymous: true });
    expect(gateway.backends()).toEqual([
      { name: 'te', type: 'direct', state: 'excluded', reason: expect.stringMatching(/anonymous.*oidc/) },
    ]);
  });

  it('writes no token into any log line, at trace level', async () => {
    await Promise.allSettled(gateways.map((g) => g.close()));
    expect(logLines.some((l) => l.includes('opening a backend session for this client'))).toBe(true);
    expect(tokens.length).toBeGreaterThan(5);
    for (const line of logLines) for (const token of tokens) expect(line).not.toContain(token);
  });
});
