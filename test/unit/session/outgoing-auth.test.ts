// Outgoing credentials: header validation, request-time secret resolution, and RFC 8693 token exchange with the
// audience check and the per-subject cache (time from a fake clock; the STS is a loopback fixture).
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { composeAuth } from '../../../src/actors/mcp/auth/compose.ts';
import { headerForward } from '../../../src/actors/mcp/auth/header-forward.ts';
import { headerInjection } from '../../../src/actors/mcp/auth/header-injection.ts';
import { createTokenExchange } from '../../../src/actors/mcp/auth/token-exchange.ts';
import { validateHeaderName, validateHeaderValue } from '../../../src/actors/mcp/headers.ts';
import { createHttpClient } from '../../../src/actors/mcp/http/http-client.ts';
import { startTokenServer, type TokenServer } from '../../fixtures/mcp/token-server.ts';

const SECRET = 's3cr3t-value-never-logged';

describe('header validation', () => {
  it.each(['X-Api-Key', 'Authorization'])('%s is allowed (lower-cased)', (name) => {
    expect(validateHeaderName(name, 'test')).toBe(name.toLowerCase());
  });

  it.each([
    'Host',
    'connection',
    'Transfer-Encoding',
    'Upgrade',
    'Proxy-Authorization',
    'Mcp-Session-Id',
    'MCP-Protocol-Version',
    'Last-Event-ID',
    'Content-Length',
    'X-Forwarded-For',
    'bad name',
    'x:y',
    '',
  ])('%j is refused', (name) => {
    expect(() => validateHeaderName(name, 'test')).toThrow(/test: header/);
  });

  it.each([
    ['line feed', `a${'\n'}X-Evil: 1`],
    ['carriage return', `a${'\r'}b`],
    ['NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['non-Latin-1', 'a\u2028b'],
  ])('refuses a value with a %s without echoing the value', (_what, value) => {
    const err = (() => {
      try {
        validateHeaderValue('X-Key', `${SECRET}${value}`, 'headerForward');
      } catch (e) {
        return e as Error & { kind?: string; retryable?: boolean };
      }
      return undefined;
    })();
    expect(err?.message).toMatch(/headerForward: the value of header "X-Key"/);
    expect(err?.message).not.toContain(SECRET);
    expect(err).toMatchObject({ kind: 'config', retryable: false });
  });
});

describe('headerInjection and headerForward', () => {
  it('reads secret values at request time', async () => {
    let value = 'first';
    const auth = headerInjection({ headerName: 'X-Api-Key', value: () => value });
    expect(await auth.headers()).toEqual({ 'x-api-key': 'first' });
    value = 'rotated';
    expect(await auth.headers()).toEqual({ 'x-api-key': 'rotated' });
  });

  it('merges plaintext and secret headers and refuses a header configured twice', async () => {
    const fwd = headerForward({
      addPlaintextHeaders: { 'X-Tenant': 'acme' },
      addHeadersFromSecret: [{ headerName: 'X-Token', value: async () => SECRET }],
    });
    expect(await fwd.headers()).toEqual({ 'x-tenant': 'acme', 'x-token': SECRET });
    expect(() =>
      headerForward({
        addPlaintextHeaders: { 'X-Token': 'a' },
        addHeadersFromSecret: [{ headerName: 'x-token', value: () => 'b' }],
      }),
    ).toThrow(/listed twice/);
    expect(() => headerForward({ addPlaintextHeaders: { Host: 'evil' } })).toThrow(/may not be set/);
    const both = composeAuth([headerInjection({ headerName: 'X-Token', value: () => 'x' }), fwd]);
    await expect(both.headers()).rejects.toThrow(/set by both headerInjection and headerForward/);
  });

  it('refuses a secret value with a line break at request time', async () => {
    const fwd = headerForward({ addHeadersFromSecret: [{ headerName: 'X-Token', value: () => 'a\r\nInjected: 1' }] });
    await expect(fwd.headers()).rejects.toThrow(/line break/);
  });
});

describe('tokenExchange (RFC 8693)', () => {
  let sts: TokenServer | undefined;
  const http = createHttpClient();
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
