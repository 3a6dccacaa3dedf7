// Secrets never reach a log line: a full run (token exchange, injected and forwarded secret headers, a failed call,
// a session loss and re-initialization, dropped streams, shutdown) with every log level on, and every secret searched
// for in the captured lines. The same run proves the credentials do reach the backend on every request.
import { afterEach, describe, expect, it } from 'vitest';
import { buildOutgoingAuth } from '../../../src/actors/mcp/auth/outgoing-auth.ts';
import { createTokenExchange } from '../../../src/actors/mcp/auth/token-exchange.ts';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { withBackendSession } from '../../../src/machines/backend-session-requests.ts';
import { sessionReason } from '../../../src/machines/backend-session-status.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { seededRng } from '../../../src/runtime/random.ts';
import { type RunningBackendSession, startBackendSession } from '../../../src/runtime/start-backend-session.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { startTokenServer, type TokenServer } from '../../fixtures/mcp/token-server.ts';
import { until } from '../../support/eventually.ts';
import { captureLogger, waitForPhase, waitForStream } from './helpers.ts';

const CLIENT_TOKEN = 'client-subject-token-8f3a91';
const API_KEY = 'api-key-from-secret-77c2';
const INJECTED = 'injected-header-secret-b41d';
const CLIENT_SECRET = 'sts-client-secret-19e0';

let server: FaultServer | undefined;
let sts: TokenServer | undefined;
let session: RunningBackendSession | undefined;
afterEach(async () => {
  await session?.stop();
  await server?.close();
  await sts?.close();
  session = server = sts = undefined;
});

describe('no secret in any log line', () => {
  it('a full run with tokenExchange and headerForward secrets, built by the outgoing-auth builder, logs none of them', async () => {
    server = await startFaultServer({ retryMs: 100 });
    sts = await startTokenServer();
    const { log, lines } = captureLogger('trace');
    const http = createHttpClient({ clock: systemClock });
    // What the gateway builds for a tokenExchange endpoint with headerForward headers, one client's session of it
    // (per-client-backend.ts: one exchanger from the setup's exchange settings, one session per client).
    const outgoing = buildOutgoingAuth({
      headers: [
        { name: 'X-Tenant', value: 'acme', source: 'addPlaintextHeaders' },
        { name: 'X-Api-Key', value: API_KEY, source: 'Secret creds' },
        { name: 'X-Injected', value: INJECTED, source: 'Secret injected' },
      ],
      auth: {
        type: 'tokenExchange',
        exchange: { tokenUrl: sts.url, clientId: 'mcpre', clientSecret: CLIENT_SECRET, audience: 'fixture-backend' },
      },
    });
    if (!outgoing.ok || !outgoing.setup.perClient) throw new Error('expected a per-client setup');
    const exchange = createTokenExchange(outgoing.setup.perClient.exchange, { http, clock: systemClock, log });
    const auth = outgoing.setup.forSession(exchange.forSubject(CLIENT_TOKEN));
    session = startBackendSession({
      backendId: 'secret-backend',
      url: server.url,
      auth,
      http,
      log,
      rng: seededRng(9),
      policy: { initialBackoffMs: 50, backoffJitter: 0, stableAfterMs: 100 },
    });
    await waitForStream(session.actor, 'open');
    await withBackendSession(session.actor, (c) => c.request('tools/call', { name: 'log', arguments: {} }));
    server.control.failNext(1, 503, { rpcMethod: 'tools/call' });
    await expect(
      withBackendSession(session.actor, (c) => c.request('tools/call', { name: 'echo', arguments: {} })),
    ).rejects.toThrow(/HTTP 503/);
    server.control.dropSessions();
    await withBackendSession(session.actor, (c) => c.request('tools/call', { name: 'echo', arguments: {} }));
    await waitForStream(session.actor, 'open');
    server.control.dropGetStreams('destroy');
    await until('GET stream reopened', () => server?.control.count({ httpMethod: 'GET' }) === 3, { timeoutMs: 5000 });
    const sessionIds = new Set(
      server.control.requests.map((r) => r.headers['mcp-session-id']).filter((id): id is string => id !== undefined),
    );
    await session.stop();
    session = undefined;
    await http.close();

    // The credentials reached the backend on every request.
    for (const r of server.control.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${sts.issued[0]}`);
      expect(r.headers['x-api-key']).toBe(API_KEY);
      expect(r.headers['x-injected']).toBe(INJECTED);
      expect(r.headers['x-tenant']).toBe('acme');
    }
    // One exchange served the whole run (cached per subject).
    expect(sts.requests).toHaveLength(1);

    expect(lines.length).toBeGreaterThan(10);
    const all = lines.join('\n');
    const secrets = [CLIENT_TOKEN, API_KEY, INJECTED, CLIENT_SECRET, ...sts.issued, ...sessionIds];
    for (const secret of secrets) expect(all, `log lines contain ${secret.slice(0, 6)}…`).not.toContain(secret);
    // Base64 forms too (Basic auth, JWT parts).
    expect(all).not.toContain(Buffer.from(`mcpre:${CLIENT_SECRET}`).toString('base64'));
  });

  it('a refused token exchange backs the session off (the STS can be fixed) with a reason that names no secret', async () => {
    server = await startFaultServer();
    sts = await startTokenServer({ issueAudience: 'someone-else' });
    const { log, lines } = captureLogger('trace');
    const http = createHttpClient({ clock: systemClock });
    const exchange = createTokenExchange(
      { tokenUrl: sts.url, audience: 'fixture-backend' },
      { http, clock: systemClock, log },
    );
    session = startBackendSession({
      backendId: 'refused',
      url: server.url,
      auth: exchange.forSubject(CLIENT_TOKEN),
      http,
      log,
      rng: seededRng(9),
    });
    await waitForPhase(session.actor, 'backoff');
    const reason = sessionReason(session.actor.getSnapshot()) ?? '';
    expect(reason).toMatch(/audience \["someone-else"\], not the configured "fixture-backend"; refusing it/);
    // The backend was never called with a token of the wrong audience.
    expect(server.control.requests).toHaveLength(0);
    await session.stop();
    session = undefined;
    await http.close();
    const all = `${lines.join('\n')}\n${reason}`;
    for (const secret of [CLIENT_TOKEN, ...sts.issued]) expect(all).not.toContain(secret);
  });
});
