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

  it('leaves a tokenExchange backend out instead of calling it without the exchanged token', () => {
    const result = setUpBackend(
      backendOf({ auth: { type: 'tokenExchange', tokenUrl: 'https://sts.example/token', audience: 'gh' } }),
      environment({}),
    );
    expect(result).toMatchObject({ ok: false, reason: /tokenExchange/ });
  });
});
