import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway-config.ts';
import { type SetupEnvironment, setUpBackend } from '../../../src/runtime/gateway/backend-setup.ts';

const backendOf = (b: object) =>
  validateGatewayConfig({ backends: [{ name: 'gh', url: 'https://gh.example/mcp', ...b }] }).backends[0]!;
const files: Record<string, string> = { '/ca/good.crt': rootCertificates[0]!, '/ca/junk.crt': 'not a certificate' };
const environment = (env: Record<string, string>): SetupEnvironment => ({
  env,
  readFile: (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return text;
  },
});

describe('backend setup', () => {
  it('resolves plaintext headers, env-var headers and the injected auth header', () => {
    const result = setUpBackend(
      backendOf({
        headers: { 'X-Team': 'a' },
        headerEnvVars: { 'X-Api-Key': 'API_KEY' },
        auth: { type: 'headerInjection', headerName: 'Authorization', valueEnv: 'TOKEN' },
        caBundlePath: '/ca/good.crt',
      }),
      environment({ API_KEY: 'k-123', TOKEN: 'Bearer t-456' }),
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.setup.headers()).toEqual({ 'X-Team': 'a', 'X-Api-Key': 'k-123', Authorization: 'Bearer t-456' });
    expect(result.setup.info).toEqual({
      name: 'gh',
      url: 'https://gh.example/mcp',
      type: 'direct',
      authMethod: 'headerInjection',
    });
    expect(result.setup.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('leaves a backend out, with the reason, when a header secret is missing', () => {
    expect(setUpBackend(backendOf({ headerEnvVars: { 'X-Api-Key': 'API_KEY' } }), environment({}))).toEqual({
      ok: false,
      name: 'gh',
      reason: 'header X-Api-Key: environment variable API_KEY is not set',
    });
    const auth = backendOf({ auth: { type: 'headerInjection', headerName: 'Authorization', valueEnv: 'TOKEN' } });
    expect(setUpBackend(auth, environment({ TOKEN: '' }))).toMatchObject({ ok: false, reason: /TOKEN is not set/ });
    expect(setUpBackend(auth, environment({ TOKEN: 'a\r\nX-Evil: 1' }))).toMatchObject({
      ok: false,
      reason: /CR, LF or NUL/,
    });
  });

  it('leaves a backend out when its CA bundle is missing or not PEM, rather than trusting the default pool', () => {
    expect(setUpBackend(backendOf({ caBundlePath: '/ca/none.crt' }), environment({}))).toMatchObject({
      ok: false,
      reason: 'CA bundle /ca/none.crt cannot be read: ENOENT',
    });
    expect(setUpBackend(backendOf({ caBundlePath: '/ca/junk.crt' }), environment({}))).toMatchObject({
      ok: false,
      reason: /no PEM certificate found/,
    });
  });

  it('sets a tokenExchange backend up for one session per client, with the defaults and the client secret by env', async () => {
    const result = setUpBackend(
      backendOf({
        auth: {
          type: 'tokenExchange',
          tokenUrl: 'https://sts.example/token',
          audience: 'gh',
          clientId: 'gw',
          clientSecretEnv: 'STS_SECRET',
        },
      }),
      environment({ STS_SECRET: 's-789' }),
    );
    if (!result.ok) throw new Error(result.reason);
    const perClient = result.setup.perClient;
    expect(perClient).toMatchObject({
      maxSessions: 100,
      idleMs: 600_000,
      exchange: { tokenUrl: 'https://sts.example/token', audience: 'gh', clientId: 'gw' },
    });
    expect(await perClient?.exchange.clientSecret?.()).toBe('s-789');
    // No exchanged token is a static header: the shared headers carry nothing of the client's.
    expect(result.setup.headers()).toEqual({});
  });

  it('honours the configured session limit and idle time, and leaves the backend out when its client secret is unset', () => {
    const configured = setUpBackend(
      backendOf({
        auth: {
          type: 'tokenExchange',
          tokenUrl: 'https://sts.example/token',
          audience: 'gh',
          maxClientSessions: 3,
          idleSessionSeconds: 5,
        },
      }),
      environment({}),
    );
    if (!configured.ok) throw new Error(configured.reason);
    expect(configured.setup.perClient).toMatchObject({ maxSessions: 3, idleMs: 5000 });
    const missing = setUpBackend(
      backendOf({
        auth: { type: 'tokenExchange', tokenUrl: 'https://sts.example/token', audience: 'gh', clientSecretEnv: 'NOPE' },
      }),
      environment({}),
    );
    expect(missing).toMatchObject({ ok: false, reason: /NOPE/ });
  });
});
