// Outgoing credentials: header validation, request-time secret resolution, and RFC 8693 token exchange with the
// audience check and the per-subject cache (time from a fake clock; the STS is a loopback fixture).
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildOutgoingAuth,
  type OutgoingAuthResult,
  type OutgoingAuthSpec,
} from '../../../src/actors/mcp/auth/outgoing-auth.ts';
import { createTokenExchange } from '../../../src/actors/mcp/auth/token-exchange.ts';
import type { OutgoingAuth } from '../../../src/actors/mcp/auth/types.ts';
import { validateHeaderName, validateHeaderValue } from '../../../src/actors/mcp/headers.ts';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { createMcpProtocol } from '../../../src/actors/mcp/mcp-protocol.ts';
import { createSecretRedactor } from '../../../src/actors/mcp/redactor.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { startTokenServer, type TokenServer } from '../../fixtures/mcp/token-server.ts';

const SECRET = 's3cr3t-value-never-logged';

const built = (result: OutgoingAuthResult) => {
  if (!result.ok) throw new Error(result.problem);
  return result.setup;
};
const problemOf = (spec: OutgoingAuthSpec) => {
  const result = buildOutgoingAuth(spec);
  if (result.ok) throw new Error('expected a refusal');
  return result.problem;
};
const exchange = { tokenUrl: 'https://sts.example/token', audience: 'backend' };

describe('the header policy as the session applies it', () => {
  it('lower-cases allowed names and refuses reserved ones as configuration errors', () => {
    expect(validateHeaderName('X-Api-Key', 'test')).toBe('x-api-key');
    expect(() => validateHeaderName('X-Forwarded-For', 'test')).toThrow(/^test: header "X-Forwarded-For" is reserved/);
  });

  it('refuses a bad value as a non-retryable configuration error that does not repeat the value', () => {
    let err: (Error & { kind?: string; retryable?: boolean }) | undefined;
    try {
      validateHeaderValue('X-Key', `${SECRET}\r\nX-Evil: 1`, 'headerForward');
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.message).toBe(
      'headerForward: the value of header "X-Key" contains a line break (CR or LF); refusing to send it',
    );
    expect(err).toMatchObject({ kind: 'config', retryable: false });
  });

  it('checks every header as it is sent, after the redactor has learned its value', async () => {
    const redactor = createSecretRedactor();
    const http = createHttpClient({ clock: systemClock });
    const sent = `Bearer ${SECRET}\r\nX-Evil: 1`;
    const auth: OutgoingAuth = { method: 'tokenExchange', headers: async () => ({ authorization: sent }) };
    const protocol = createMcpProtocol({
      url: 'http://127.0.0.1:9/mcp',
      transport: 'streamable-http',
      http,
      auth,
      clock: systemClock,
      log: pino({ level: 'silent' }),
      redactor,
    });
    const err = await protocol.connect(new AbortController().signal).catch((e: unknown) => e);
    await http.close();
    expect(err).toMatchObject({
      kind: 'config',
      retryable: false,
      message:
        'outgoing auth tokenExchange: the value of header "authorization" contains a line break (CR or LF); refusing to send it',
    });
    expect(redactor.redact(`echo ${sent}`)).not.toContain(SECRET);
  });
});

describe('the outgoing-auth builder', () => {
  it('merges plaintext, secret and injected headers, lower-cased, for every session', async () => {
    const setup = built(
      buildOutgoingAuth({
        headers: [
          { name: 'X-Tenant', value: 'acme', source: 'headers' },
          { name: 'X-Api-Key', value: SECRET, source: 'Secret creds' },
        ],
        auth: { type: 'headerInjection', header: { name: 'Authorization', value: 'Bearer t', source: 'Secret tok' } },
      }),
    );
    expect(setup.method).toBe('headerInjection');
    expect(setup.headers).toEqual({ 'x-tenant': 'acme', 'x-api-key': SECRET, authorization: 'Bearer t' });
    expect(setup.perClient).toBeUndefined();
    const auth = setup.forSession();
    expect(auth.method).toBe('headerInjection');
    expect(await auth.headers()).toEqual(setup.headers);
    expect(setup.digest).not.toContain(SECRET);
  });

  it('refuses a reserved or malformed name and a bad value, naming the source and never the value', () => {
    const header = (name: string, value = 'v') => ({
      headers: [{ name, value, source: 'Secret creds' }],
      auth: { type: 'unauthenticated' as const },
    });
    expect(problemOf(header('X-Forwarded-For'))).toMatch(/^header "X-Forwarded-For" \(Secret creds\) is reserved: /);
    expect(problemOf(header('Expect'))).toMatch(/^header "Expect" \(Secret creds\) is reserved: /);
    expect(problemOf(header('bad name'))).toMatch(/is not a valid HTTP header name/);
    const value = problemOf(header('X-Key', `${SECRET}\u0000`));
    expect(value).toBe('header X-Key: the value from Secret creds contains a control character (such as NUL)');
    expect(
      problemOf({
        headers: [],
        auth: { type: 'headerInjection', header: { name: 'Transfer-Encoding', value: 'chunked', source: 'auth' } },
      }),
    ).toMatch(/^header "Transfer-Encoding" \(auth\) is reserved/);
  });

  it('refuses a header set twice, in any case, naming both places', () => {
    expect(
      problemOf({
        headers: [{ name: 'Authorization', value: 'a', source: 'headerFiles' }],
        auth: {
          type: 'headerInjection',
          header: { name: 'authorization', value: 'b', source: 'auth headerInjection' },
        },
      }),
    ).toBe('header authorization is set twice (headerFiles and auth headerInjection); set it once');
  });

  it('sets tokenExchange up for one session per client, adding the client token to the fixed headers', async () => {
    const setup = built(
      buildOutgoingAuth({
        headers: [{ name: 'X-Tenant', value: 'acme', source: 'headers' }],
        auth: { type: 'tokenExchange', exchange: { ...exchange, clientId: 'gw', clientSecret: 'cs' }, maxSessions: 3 },
      }),
    );
    expect(setup.perClient).toMatchObject({
      maxSessions: 3,
      idleMs: 600_000,
      exchange: { ...exchange, clientId: 'gw' },
    });
    expect(await setup.perClient?.exchange.clientSecret?.()).toBe('cs');
    const client: OutgoingAuth = { method: 'tokenExchange', headers: async () => ({ authorization: 'Bearer x' }) };
    const auth = setup.forSession(client);
    expect(auth.method).toBe('tokenExchange');
    expect(await auth.headers()).toEqual({ 'x-tenant': 'acme', authorization: 'Bearer x' });
  });

  it('refuses a tokenExchange whose token header is reserved or set elsewhere, or whose settings are unusable', () => {
    const te = (spec: Partial<typeof exchange> & { externalTokenHeaderName?: string }, headers = []) => ({
      headers,
      auth: { type: 'tokenExchange' as const, exchange: { ...exchange, ...spec }, source: 'auth tokenExchange' },
    });
    expect(problemOf(te({ externalTokenHeaderName: 'X-Forwarded-User' }))).toMatch(
      /^auth tokenExchange.externalTokenHeaderName "X-Forwarded-User" is reserved/,
    );
    expect(
      problemOf({
        headers: [{ name: 'Authorization', value: 'a', source: 'headers' }],
        auth: { type: 'tokenExchange', exchange },
      }),
    ).toBe('tokenExchange: the exchanged token goes in header Authorization, which headers also sets; set it once');
    expect(problemOf(te({ tokenUrl: 'ftp://sts' }))).toMatch(
      /^auth tokenExchange.tokenUrl "ftp:\/\/sts" does not start/,
    );
    expect(problemOf(te({ audience: '' }))).toBe('auth tokenExchange.audience is required');
  });

  it('gives a digest that moves with every value and holds none', () => {
    const digest = (value: string, clientSecret = 'cs') =>
      built(
        buildOutgoingAuth({
          headers: [{ name: 'X-Key', value, source: 'headers' }],
          auth: { type: 'tokenExchange', exchange: { ...exchange, clientSecret } },
        }),
      ).digest;
    expect(digest(SECRET)).toBe(digest(SECRET));
    expect(digest(SECRET)).not.toBe(digest('rotated'));
    expect(digest(SECRET)).not.toBe(digest(SECRET, 'rotated'));
    expect(digest(SECRET)).not.toContain(SECRET);
  });
});

describe('tokenExchange (RFC 8693)', () => {
  let sts: TokenServer | undefined;
  const http = createHttpClient({ clock: systemClock });
  const log = pino({ level: 'silent' });
  afterEach(async () => {
    await sts?.close();
    sts = undefined;
  });

  const fakeClock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('sends the RFC 8693 form with client credentials, audience, scope and resource', async () => {
    sts = await startTokenServer();
    const tx = createTokenExchange(
      {
        tokenUrl: sts.url,
        clientId: 'gateway',
        clientSecret: () => 'client-secret',
        audience: 'https://backend.example',
        scopes: ['read', 'write'],
        resource: 'https://backend.example/mcp',
      },
      { http, clock: fakeClock(), log },
    );
    const headers = await tx.forSubject('client-token-1').headers();
    expect(headers.authorization).toBe(`Bearer ${sts.issued[0]}`);
    expect(sts.requests[0]?.form).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'client-token-1',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'https://backend.example',
      scope: 'read write',
      resource: 'https://backend.example/mcp',
    });
    expect(sts.requests[0]?.authorization).toBe(`Basic ${Buffer.from('gateway:client-secret').toString('base64')}`);
  });

  it('refuses a token for another audience, and opaque tokens unless told to accept them', async () => {
    sts = await startTokenServer({ issueAudience: 'https://other.example' });
    const tx = createTokenExchange(
      { tokenUrl: sts.url, audience: 'https://backend.example' },
      { http, clock: fakeClock(), log },
    );
    const err = (await tx.exchange('subject').catch((e: unknown) => e)) as Error & { kind: string; retryable: boolean };
    expect(err).toMatchObject({ kind: 'auth', retryable: false });
    expect(err.message).toMatch(
      /for audience \["https:\/\/other.example"\], not the configured "https:\/\/backend.example"; refusing it/,
    );
    expect(err.message).not.toContain(sts.issued[0]);

    sts.options = { opaque: true };
    await expect(tx.exchange('subject-2')).rejects.toThrow(/opaque token whose audience cannot be checked/);
    const lenient = createTokenExchange(
      { tokenUrl: sts.url, audience: 'https://backend.example', audienceCheck: 'whenReadable' },
      { http, clock: fakeClock(), log },
    );
    await expect(lenient.exchange('subject-3')).resolves.toMatch(/^opaque-exchanged-token/);
  });

  it('accepts an aud array that contains the audience; honours externalTokenHeaderName', async () => {
    sts = await startTokenServer({ issueAudience: ['a', 'https://backend.example'] });
    const tx = createTokenExchange(
      { tokenUrl: sts.url, audience: 'https://backend.example', externalTokenHeaderName: 'X-Backend-Token' },
      { http, clock: fakeClock(), log },
    );
    expect(await tx.forSubject('s').headers()).toEqual({ 'x-backend-token': sts.issued[0] });
  });

  it('caches per subject until shortly before expiry, and shares one exchange between concurrent requests', async () => {
    sts = await startTokenServer({ expiresIn: 300 });
    const clock = fakeClock();
    const tx = createTokenExchange({ tokenUrl: sts.url, audience: 'aud', refreshSkewMs: 60_000 }, { http, clock, log });
    const [a, b, c] = await Promise.all([tx.exchange('alice'), tx.exchange('alice'), tx.exchange('alice')]);
    expect(sts.requests).toHaveLength(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    await tx.exchange('bob');
    expect(sts.requests).toHaveLength(2);
    expect(tx.cachedSubjects).toBe(2);
    clock.advance(239_000); // 300 s lifetime - 60 s skew = refresh at 240 s
    expect(await tx.exchange('alice')).toBe(a);
    expect(sts.requests).toHaveLength(2);
    clock.advance(1000);
    expect(await tx.exchange('alice')).not.toBe(a);
    expect(sts.requests).toHaveLength(3);
  });

  it('reports STS errors with the OAuth error code, retryable only for 5xx, without the subject token', async () => {
    sts = await startTokenServer({ failWith: { status: 400, error: 'invalid_grant', description: 'subject expired' } });
    const tx = createTokenExchange({ tokenUrl: sts.url, audience: 'aud' }, { http, clock: fakeClock(), log });
    const err = (await tx.exchange(SECRET).catch((e: unknown) => e)) as Error & { retryable: boolean };
    expect(err.message).toMatch(
      /token exchange at http:\/\/127.0.0.1:\d+\/token failed: HTTP 400 invalid_grant: subject expired/,
    );
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain(SECRET);
    sts.options = { failWith: { status: 503, error: 'temporarily_unavailable' } };
    await expect(tx.exchange(SECRET)).rejects.toMatchObject({ retryable: true });
  });

  it('takes the subject token, the client secret and its Basic form out of what an STS says back', async () => {
    const subject = `subject-${SECRET}`;
    const clientSecret = 'client-secret-value-1234';
    const basic = Buffer.from(`gateway:${clientSecret}`).toString('base64');
    sts = await startTokenServer({
      failWith: {
        status: 401,
        error: `invalid_client ${clientSecret}`,
        description: `client gateway:${clientSecret} (Basic ${basic}) may not exchange ${subject}`,
      },
    });
    const tx = createTokenExchange(
      { tokenUrl: sts.url, audience: 'aud', clientId: 'gateway', clientSecret: () => clientSecret },
      { http, clock: fakeClock(), log },
    );
    const err = (await tx.exchange(subject).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /failed: HTTP 401 invalid_client \[redacted\]: client \[redacted\] \(\[redacted\]\) may not exchange \[redacted\]$/,
    );
    for (const value of [clientSecret, basic, subject, SECRET]) expect(err.message).not.toContain(value);
  });

  it('rejects bad configuration up front', () => {
    expect(() =>
      createTokenExchange({ tokenUrl: 'ftp://x', audience: 'a' }, { http, clock: fakeClock(), log }),
    ).toThrow(/tokenUrl "ftp:\/\/x" does not start with http:\/\/ or https:\/\//);
    expect(() =>
      createTokenExchange({ tokenUrl: 'http://x', audience: '' }, { http, clock: fakeClock(), log }),
    ).toThrow(/audience is required/);
    expect(() =>
      createTokenExchange(
        { tokenUrl: 'http://x', audience: 'a', subjectTokenType: 'saml' },
        { http, clock: fakeClock(), log },
      ),
    ).toThrow(/subjectTokenType/);
  });
});
