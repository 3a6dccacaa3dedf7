import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import {
  type SetupEnvironment,
  secretFilesOf,
  setUpBackend,
  staticBackend,
} from '../../../src/gateway/backend-setup.ts';

const backendOf = (b: object) =>
  validateGatewayConfig({ backends: [{ name: 'gh', url: 'https://gh.example/mcp', ...b }] }).backends[0]!;
const files: Record<string, string> = {
  '/ca/good.crt': rootCertificates[0]!,
  '/ca/junk.crt': 'not a certificate',
  '/secrets/creds/api-key': 'k-file',
  '/secrets/creds/empty': '',
  '/secrets/creds/newline': 'k-file\n',
  '/secrets/token/value': 'Bearer t-file',
  '/secrets/sts/secret': 's-file',
};
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
    expect(result.setup.outgoing.headers).toEqual({
      'x-team': 'a',
      'x-api-key': 'k-123',
      authorization: 'Bearer t-456',
    });
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
    const split = setUpBackend(auth, environment({ TOKEN: 'a\r\nX-Evil: 1' }));
    expect(split).toMatchObject({
      ok: false,
      reason:
        'header Authorization: the value from auth headerInjection (environment variable TOKEN) contains a line break (CR or LF)',
    });
    expect(JSON.stringify(split)).not.toContain('X-Evil');
  });

  it('leaves a backend out when its CA bundle is missing or not PEM, rather than trusting the default pool', () => {
    expect(setUpBackend(backendOf({ caBundlePath: '/ca/none.crt' }), environment({}))).toMatchObject({
      ok: false,
      reason: 'CA bundle /ca/none.crt cannot be read: ENOENT',
    });
    expect(setUpBackend(backendOf({ caBundlePath: '/ca/junk.crt' }), environment({}))).toMatchObject({
      ok: false,
      reason: /^CA bundle \/ca\/junk.crt holds no PEM certificate/,
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
    const perClient = result.setup.outgoing.perClient;
    expect(perClient).toMatchObject({
      maxSessions: 100,
      idleMs: 600_000,
      exchange: { tokenUrl: 'https://sts.example/token', audience: 'gh', clientId: 'gw' },
    });
    expect(await perClient?.exchange.clientSecret?.()).toBe('s-789');
    // No exchanged token is a static header: the shared headers carry nothing of the client's.
    expect(result.setup.outgoing.headers).toEqual({});
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
    expect(configured.setup.outgoing.perClient).toMatchObject({ maxSessions: 3, idleMs: 5000 });
    const missing = setUpBackend(
      backendOf({
        auth: { type: 'tokenExchange', tokenUrl: 'https://sts.example/token', audience: 'gh', clientSecretEnv: 'NOPE' },
      }),
      environment({}),
    );
    expect(missing).toMatchObject({ ok: false, reason: /NOPE/ });
  });

  it('reads header and auth secrets from their files', async () => {
    const result = setUpBackend(
      backendOf({
        headers: { 'X-Team': 'a' },
        headerFiles: { 'X-Api-Key': '/secrets/creds/api-key' },
        auth: { type: 'headerInjection', headerName: 'Authorization', valueFile: '/secrets/token/value' },
      }),
      environment({}),
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.setup.outgoing.headers).toEqual({
      'x-team': 'a',
      'x-api-key': 'k-file',
      authorization: 'Bearer t-file',
    });
    const exchange = setUpBackend(
      backendOf({
        auth: {
          type: 'tokenExchange',
          tokenUrl: 'https://sts.example/token',
          audience: 'gh',
          clientSecretFile: '/secrets/sts/secret',
        },
      }),
      environment({}),
    );
    if (!exchange.ok) throw new Error(exchange.reason);
    expect(await exchange.setup.outgoing.perClient?.exchange.clientSecret?.()).toBe('s-file');
  });

  it('leaves a backend out, naming the file and never its content, when a secret file is missing, empty or holds a line break', () => {
    const header = (path: string) => setUpBackend(backendOf({ headerFiles: { 'X-Api-Key': path } }), environment({}));
    expect(header('/secrets/creds/none')).toEqual({
      ok: false,
      name: 'gh',
      reason: 'header X-Api-Key: file /secrets/creds/none cannot be read: ENOENT',
    });
    expect(header('/secrets/creds/empty')).toMatchObject({
      reason: 'header X-Api-Key: file /secrets/creds/empty is empty',
    });
    const newline = header('/secrets/creds/newline');
    expect(newline).toMatchObject({
      reason: 'header X-Api-Key: the value from file /secrets/creds/newline contains a line break (CR or LF)',
    });
    expect(JSON.stringify(newline)).not.toContain('k-file');
    const exchange = backendOf({
      auth: { type: 'tokenExchange', tokenUrl: 'https://sts.example/token', audience: 'gh', clientSecretFile: '/nope' },
    });
    expect(setUpBackend(exchange, environment({}))).toMatchObject({
      reason: 'auth tokenExchange: file /nope cannot be read: ENOENT (client secret)',
    });
  });

  it('lists the secret files of an entry, the ones the gateway watches', () => {
    expect(
      secretFilesOf(
        backendOf({
          headerFiles: { 'X-A': '/s/a', 'X-B': '/s/b' },
          headerEnvVars: { 'X-C': 'C' },
          auth: { type: 'headerInjection', headerName: 'Authorization', valueFile: '/s/token' },
        }),
      ),
    ).toEqual(['/s/a', '/s/b', '/s/token']);
    expect(
      secretFilesOf(
        backendOf({
          auth: {
            type: 'tokenExchange',
            tokenUrl: 'https://sts.example/token',
            audience: 'x',
            clientSecretFile: '/s/c',
          },
        }),
      ),
    ).toEqual(['/s/c']);
    expect(secretFilesOf(backendOf({ headerEnvVars: { 'X-C': 'C' } }))).toEqual([]);
  });

  it('gives a static entry a fingerprint that moves with its secret values and nothing else, and holds no value', () => {
    const files: Record<string, string> = { '/s/key': 'old-value' };
    const env: SetupEnvironment = {
      env: { TOKEN: 'env-token' },
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return text;
      },
    };
    const cfg = backendOf({
      headerFiles: { 'X-Api-Key': '/s/key' },
      auth: { type: 'headerInjection', headerName: 'Authorization', valueEnv: 'TOKEN' },
    });
    const first = staticBackend(cfg, env);
    expect(first).toMatchObject({ name: 'gh', type: 'direct', result: { ok: true } });
    expect(staticBackend(cfg, env).fingerprint).toBe(first.fingerprint);
    expect(first.fingerprint).not.toContain('old-value');
    files['/s/key'] = 'new-value';
    const rotated = staticBackend(cfg, env);
    expect(rotated.fingerprint).not.toBe(first.fingerprint);
    if (!rotated.result.ok) throw new Error(rotated.result.reason);
    expect(rotated.result.setup.outgoing.headers['x-api-key']).toBe('new-value');
    // A file that goes away leaves the backend out, with a stable fingerprint (no churn while it stays away).
    delete files['/s/key'];
    const gone = staticBackend(cfg, env);
    expect(gone.result).toMatchObject({ ok: false, reason: 'header X-Api-Key: file /s/key cannot be read: ENOENT' });
    expect(staticBackend(cfg, env).fingerprint).toBe(gone.fingerprint);
    // Another entry with the same values has its own fingerprint.
    files['/s/key'] = 'new-value';
    expect(staticBackend({ ...cfg, url: 'https://other.example/mcp' }, env).fingerprint).not.toBe(rotated.fingerprint);
  });
});
