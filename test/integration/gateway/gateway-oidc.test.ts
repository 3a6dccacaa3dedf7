// Incoming OIDC: a loopback issuer (discovery document + JWKS) signs tokens; the gateway accepts a valid one, names
// the subject in the audit line, refuses bad ones with 401 and WWW-Authenticate, and keeps one subject out of
// another's session.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateKeyPair } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import type { AuditRecord } from '../../../src/gateway/audit.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type OidcIssuer, type SigningKey, startOidcIssuer } from '../../fixtures/mcp/oidc-issuer.ts';
import { until } from '../../support/eventually.ts';
import { mcpHeaders } from '../../support/mcp-http.ts';

describe('gateway with OIDC incoming auth', () => {
  let idp: OidcIssuer;
  let otherKey: SigningKey;
  let backend: DemoBackend;
  let gateway: RunningGateway;
  const audit: AuditRecord[] = [];

  const token = (claims: Record<string, unknown>, opts: Parameters<OidcIssuer['token']>[1] = {}) =>
    idp.token(claims, opts);

  const connect = async (bearer: string) => {
    const client = new Client({ name: 'oidc-test', version: '1' });
    const transport = new StreamableHTTPClientTransport(gateway.url, {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    });
    await client.connect(transport);
    return { client, transport };
  };

  const rawPost = (headers: Record<string, string>) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: mcpHeaders(undefined, headers),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });

  beforeAll(async () => {
    idp = await startOidcIssuer();
    otherKey = (await generateKeyPair('ES256')).privateKey;
    backend = await startDemoBackend();
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [{ name: 'demo', url: backend.url.href }],
        incomingAuth: { type: 'oidc', issuer: idp.issuer, audience: 'mcpre-gateway' },
      }),
      logger: pino({ level: 'silent' }),
      onAudit: (r) => audit.push(r),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
  });

  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
    await idp?.close();
  });

  it('accepts a valid token and audits the subject', async () => {
    const { client } = await connect(await token({ sub: 'alice@example.com' }));
    const r = await client.callTool({ name: 'demo_echo', arguments: { message: 'hi' } });
    expect(r.content).toEqual([{ type: 'text', text: 'hi' }]);
    expect(audit.at(-1)).toMatchObject({ client: 'alice@example.com', backend: 'demo', outcome: 'ok' });
    // The token is never part of an audit record.
    expect(JSON.stringify(audit)).not.toMatch(/eyJ/);
    await client.close();
  });

  it('refuses a missing, forged, expired, foreign-issuer or wrong-audience token with 401', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['missing', {}, /Bearer token is required/],
      ['forged', { authorization: `Bearer ${await token({ sub: 'mallory' }, { key: otherKey })}` }, /signature/],
      ['expired', { authorization: `Bearer ${await token({ sub: 'bob' }, { expiresIn: '-1m' })}` }, /expired/],
      [
        'issuer',
        { authorization: `Bearer ${await token({ sub: 'bob' }, { issuer: 'https://other.example' })}` },
        /iss/,
      ],
      ['audience', { authorization: `Bearer ${await token({ sub: 'bob' }, { audience: 'someone-else' })}` }, /aud/],
      ['garbage', { authorization: 'Bearer not.a.jwt' }, /malformed/],
      ['no subject', { authorization: `Bearer ${await token({})}` }, /no subject/],
    ];
    for (const [what, headers, message] of cases) {
      const res = await rawPost(headers);
      expect(res.status, what).toBe(401);
      expect(res.headers.get('www-authenticate'), what).toMatch(
        /^Bearer realm="mcpre", error="invalid_(token|request)"/,
      );
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message, what).toMatch(message);
    }
  });

  it("does not let one subject use another's session", async () => {
    const { client, transport } = await connect(await token({ sub: 'alice@example.com' }));
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: mcpHeaders(transport.sessionId, {
        authorization: `Bearer ${await token({ sub: 'mallory@example.com' })}`,
      }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    await res.body?.cancel();
    // Alice's session is unaffected.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});
