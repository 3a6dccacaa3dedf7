import { describe, expect, it } from 'vitest';
import { ProxyEnv } from '../../../src/api/endpoint/proxy-objects.ts';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { proxyModeSettings } from '../../../src/gateway/proxy-mode.ts';

const base = {
  [ProxyEnv.endpoint]: 'tools/internal-api',
  [ProxyEnv.remoteURL]: 'https://internal.example.com/mcp',
  [ProxyEnv.transport]: 'streamable-http',
  [ProxyEnv.port]: '8080',
};
const files: Record<string, string> = {
  '/etc/mcpre/oidc/oidc.json': JSON.stringify({ issuer: 'https://idp.example.com', audience: 'internal-api' }),
  '/etc/mcpre/authz/authz.json': JSON.stringify({
    version: '1.0',
    type: 'cedarv1',
    cedar: { policies: ['permit(principal, action, resource);'], entities_json: '[]' },
  }),
};
const settings = (env: Record<string, string>) =>
  proxyModeSettings({
    env: { ...base, ...env },
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT ${path}`);
      return text;
    },
  });

describe('proxy mode settings', () => {
  it('turns the operator environment into a one-backend gateway with unprefixed names', () => {
    const s = settings({
      [ProxyEnv.headers]: JSON.stringify({
        plaintext: { 'X-Tenant': 't1' },
        fromFile: { 'X-Api-Key': '/etc/mcpre/secrets/creds/api-key' },
      }),
      [ProxyEnv.caBundlePath]: '/etc/toolhive/ca-bundles/internal-api/ca.crt',
      [ProxyEnv.externalAuth]: JSON.stringify({
        name: 'a',
        type: 'headerInjection',
        headerName: 'Authorization',
        valueFile: '/etc/mcpre/secrets/token/value',
      }),
      [ProxyEnv.oidc]: JSON.stringify({
        type: 'kubernetes',
        kubernetes: { audience: 'internal-api', serviceAccount: 'vmcp' },
      }),
      [ProxyEnv.toolConfigRef]: 'docs-only',
    });
    expect(s).toMatchObject({
      port: 8080,
      namespace: 'tools',
      endpointName: 'internal-api',
      toolConfigName: 'docs-only',
    });
    const config = validateGatewayConfig(s.config);
    expect(config.aggregation.conflictResolution).toBe('manual');
    expect(config.backends).toEqual([
      {
        name: 'internal-api',
        url: 'https://internal.example.com/mcp',
        transport: 'streamable-http',
        type: 'direct',
        headers: { 'X-Tenant': 't1' },
        headerFiles: { 'X-Api-Key': '/etc/mcpre/secrets/creds/api-key' },
        headerEnvVars: {},
        caBundlePath: '/etc/toolhive/ca-bundles/internal-api/ca.crt',
        auth: { type: 'headerInjection', headerName: 'Authorization', valueFile: '/etc/mcpre/secrets/token/value' },
      },
    ]);
    expect(config.incomingAuth).toEqual({
      type: 'oidc',
      issuer: 'https://kubernetes.default.svc',
      audience: 'internal-api',
      jwksUrl: 'https://kubernetes.default.svc/openid/v1/jwks',
      clockToleranceSeconds: 30,
      allowedSubjects: ['system:serviceaccount:tools:vmcp'],
      jwksAuthTokenPath: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caBundlePath: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    });
  });

  it('takes the token exchange client secret from its file, and still accepts secrets by environment variable', () => {
    const exchange = (secret: Record<string, string>) =>
      validateGatewayConfig(
        settings({
          [ProxyEnv.externalAuth]: JSON.stringify({
            name: 'sts',
            type: 'tokenExchange',
            tokenUrl: 'https://sts.example.com/token',
            audience: 'remote',
            ...secret,
          }),
        }).config,
      ).backends[0]?.auth;
    expect(exchange({ clientSecretFile: '/etc/mcpre/secrets/sts/secret' })).toEqual({
      type: 'tokenExchange',
      tokenUrl: 'https://sts.example.com/token',
      audience: 'remote',
      clientSecretFile: '/etc/mcpre/secrets/sts/secret',
    });
    expect(exchange({ clientSecretEnv: 'STS_SECRET' })).toMatchObject({ clientSecretEnv: 'STS_SECRET' });
    // What an operator before file mounts wrote: the values in environment variables (they do not rotate).
    const legacy = validateGatewayConfig(
      settings({
        [ProxyEnv.headers]: JSON.stringify({ fromEnv: { 'X-Api-Key': 'MCPRE_HEADER_X_API_KEY' } }),
        [ProxyEnv.externalAuth]: JSON.stringify({
          name: 'a',
          type: 'headerInjection',
          headerName: 'Authorization',
          valueEnv: 'MCPRE_PROXY_EXTERNAL_AUTH_SECRET',
        }),
      }).config,
    ).backends[0];
    expect(legacy?.headerEnvVars).toEqual({ 'X-Api-Key': 'MCPRE_HEADER_X_API_KEY' });
    expect(legacy?.auth).toEqual({
      type: 'headerInjection',
      headerName: 'Authorization',
      valueEnv: 'MCPRE_PROXY_EXTERNAL_AUTH_SECRET',
    });
  });

  it('reads OIDC and authz from the mounted ConfigMap files, and inline policies', () => {
    const fromFiles = validateGatewayConfig(
      settings({
        [ProxyEnv.oidc]: JSON.stringify({
          type: 'configMap',
          configMap: { name: 'oidc', file: '/etc/mcpre/oidc/oidc.json' },
        }),
        [ProxyEnv.authz]: JSON.stringify({
          type: 'configMap',
          configMap: { name: 'authz', file: '/etc/mcpre/authz/authz.json' },
        }),
      }).config,
    );
    expect(fromFiles.incomingAuth).toMatchObject({
      type: 'oidc',
      issuer: 'https://idp.example.com',
      audience: 'internal-api',
    });
    expect(fromFiles.authz).toEqual({
      type: 'cedar',
      policies: ['permit(principal, action, resource);'],
      entitiesJson: '[]',
    });
    const inline = validateGatewayConfig(
      settings({
        [ProxyEnv.authz]: JSON.stringify({
          type: 'inline',
          inline: { policies: ['forbid(principal, action, resource);'] },
        }),
      }).config,
    );
    expect(inline.authz?.policies).toEqual(['forbid(principal, action, resource);']);
  });

  it('refuses what it cannot enforce, with the reason', () => {
    expect(() => settings({ [ProxyEnv.externalAuth]: JSON.stringify({ name: 'x', type: 'awsSts' }) })).toThrow(
      /outgoing auth type awsSts is not supported/,
    );
    expect(() =>
      settings({ [ProxyEnv.oidc]: JSON.stringify({ type: 'inline', inline: { issuer: 'https://idp' } }) }),
    ).toThrow(/audience is required/);
    expect(() =>
      settings({ [ProxyEnv.authz]: JSON.stringify({ type: 'configMap', configMap: { file: '/nope.json' } }) }),
    ).toThrow(/cannot be read as JSON/);
    expect(() => proxyModeSettings({ env: {}, readFile: () => '' })).toThrow(/MCPRE_PROXY_ENDPOINT/);
    expect(() => settings({ [ProxyEnv.endpoint]: 'no-slash' })).toThrow(/<namespace>\/<name>/);
  });

  it('lists settings it accepts but does not apply', () => {
    const s = settings({ [ProxyEnv.endpointPrefix]: '/prefix', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' });
    expect(s.ignored).toEqual([`${ProxyEnv.endpointPrefix} (the MCP endpoint stays /mcp)`]);
  });
});
