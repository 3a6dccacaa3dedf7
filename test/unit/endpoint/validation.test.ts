import { describe, expect, it } from 'vitest';
import { checkPemCertificates } from '../../../src/api/endpoint/ca-bundle.ts';
import { endpointReferences } from '../../../src/api/endpoint/references.ts';
import { checkRemoteURL, validateEndpoint } from '../../../src/api/endpoint/validation.ts';
import {
  authConfig,
  configMap,
  directEndpoint,
  group,
  NS,
  proxyEndpoint,
  secretKeys,
  selfSignedPem,
  snapshotOf,
} from './fixtures.ts';

const cond = (v: ReturnType<typeof validateEndpoint>, type: string) => v.conditions.find((c) => c.type === type);

describe('validateEndpoint: direct mode, the RFC steps', () => {
  it('a plain public remote in an existing group is valid, with only GroupRefValid and ConfigurationValid', () => {
    const v = validateEndpoint(snapshotOf(directEndpoint()));
    expect(v.valid).toBe(true);
    expect(v.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['GroupRefValid', 'True', 'GroupFound'],
      ['ConfigurationValid', 'True', 'ConfigurationValid'],
    ]);
  });

  it('a missing group is GroupRefValid=False GroupNotFound, and ConfigurationValid carries the reason', () => {
    const v = validateEndpoint(snapshotOf(directEndpoint(), { group: null }));
    expect(v.valid).toBe(false);
    expect(cond(v, 'GroupRefValid')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
    expect(cond(v, 'GroupRefValid')?.message).toContain('MCPGroup "engineering"');
    expect(cond(v, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
  });

  it('a group being deleted is GroupTerminating', () => {
    const g = group('engineering', { deletionTimestamp: '2026-01-01T00:00:00Z' });
    const v = validateEndpoint(snapshotOf(directEndpoint(), { group: g }));
    expect(cond(v, 'GroupRefValid')).toMatchObject({ status: 'False', reason: 'GroupTerminating' });
  });

  it('a group name with odd characters is GroupRefInvalid with a message that says what is allowed', () => {
    const v = validateEndpoint(snapshotOf(directEndpoint({ groupRef: 'Team_A!' }), { group: null }));
    const c = cond(v, 'GroupRefValid');
    expect(c).toMatchObject({ status: 'False', reason: 'GroupRefInvalid' });
    expect(c?.message).toContain('"Team_A!"');
    expect(c?.message).toContain('lowercase');
  });

  it('AuthConfigValid appears only when externalAuthConfigRef is set', () => {
    const without = validateEndpoint(snapshotOf(directEndpoint()));
    expect(cond(without, 'AuthConfigValid')).toBeUndefined();
    const missing = validateEndpoint(snapshotOf(directEndpoint({ externalAuthConfigRef: { name: 'sf' } })));
    expect(cond(missing, 'AuthConfigValid')).toMatchObject({ status: 'False', reason: 'AuthConfigNotFound' });
    const found = validateEndpoint(
      snapshotOf(directEndpoint({ externalAuthConfigRef: { name: 'sf' } }), {
        authConfig: authConfig('sf', 'tokenExchange'),
      }),
    );
    expect(cond(found, 'AuthConfigValid')).toMatchObject({ status: 'True', reason: 'AuthConfigFound' });
    expect(found.valid).toBe(true);
  });

  it('ToolConfigValid: a missing MCPToolConfig makes the endpoint invalid, a present one does not', () => {
    const without = validateEndpoint(snapshotOf(directEndpoint()));
    expect(cond(without, 'ToolConfigValid')).toBeUndefined();
    const ref = directEndpoint({ toolConfigRef: { name: 'read-only' } });
    const missing = validateEndpoint(snapshotOf(ref));
    expect(missing.valid).toBe(false);
    expect(cond(missing, 'ToolConfigValid')).toMatchObject({ status: 'False', reason: 'ToolConfigNotFound' });
    expect(cond(missing, 'ToolConfigValid')?.message).toContain('MCPToolConfig "read-only" (spec.toolConfigRef)');
    expect(cond(missing, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'ToolConfigNotFound' });
    const found = validateEndpoint(
      snapshotOf(ref, {
        toolConfig: {
          apiVersion: 'toolhive.stacklok.dev/v1alpha1',
          kind: 'MCPToolConfig',
          metadata: { name: 'read-only', namespace: NS },
          spec: { toolsFilter: ['search'] },
        },
      }),
    );
    expect(found.valid).toBe(true);
    expect(cond(found, 'ToolConfigValid')).toMatchObject({ status: 'True', reason: 'ToolConfigFound' });
  });

  it.each(['embeddedAuthServer', 'awsSts'] as const)(
    '%s in direct mode is UnsupportedAuthTypeForDirectMode',
    (type) => {
      const v = validateEndpoint(
        snapshotOf(directEndpoint({ externalAuthConfigRef: { name: 'a' } }), { authConfig: authConfig('a', type) }),
      );
      expect(v.valid).toBe(false);
      expect(cond(v, 'AuthConfigValid')?.status).toBe('True');
      expect(cond(v, 'ConfigurationValid')).toMatchObject({
        status: 'False',
        reason: 'UnsupportedAuthTypeForDirectMode',
      });
      expect(cond(v, 'ConfigurationValid')?.message).toContain('type: proxy');
    },
  );

  it('the same auth types are fine for a proxy endpoint', () => {
    const v = validateEndpoint(
      snapshotOf(proxyEndpoint({ externalAuthConfigRef: { name: 'a' } }), { authConfig: authConfig('a', 'awsSts') }),
    );
    expect(v.valid).toBe(true);
  });

  it('a proxy whose telemetry turns tracing on without an endpoint is TelemetryInvalid; tracing off is not checked', () => {
    const telemetry = (enabled: boolean) => ({
      openTelemetry: { enabled: true, tracing: { enabled, samplingRate: '0.1' } },
    });
    const proxyConfig = (enabled: boolean) => ({
      proxyConfig: { oidcConfig: { type: 'kubernetes' as const }, telemetry: telemetry(enabled) },
    });
    const v = validateEndpoint(snapshotOf(proxyEndpoint(proxyConfig(true))));
    expect(v.valid).toBe(false);
    expect(cond(v, 'ConfigurationValid')).toMatchObject({
      status: 'False',
      reason: 'TelemetryInvalid',
      message: expect.stringContaining('spec.proxyConfig.telemetry.openTelemetry.endpoint is required'),
    });
    expect(validateEndpoint(snapshotOf(proxyEndpoint(proxyConfig(false)))).valid).toBe(true);
  });

  it('a proxy telemetry header from a Secret needs the Secret and key, and the Secret is a reference', () => {
    const ep = proxyEndpoint({
      proxyConfig: {
        oidcConfig: { type: 'kubernetes' },
        telemetry: {
          openTelemetry: {
            enabled: true,
            endpoint: 'otel:4318',
            sensitiveHeaders: [{ name: 'Authorization', secretKeyRef: { name: 'otel-auth', key: 'token' } }],
            tracing: { enabled: true },
          },
        },
      },
    });
    expect(endpointReferences(ep)).toContain(`Secret:${NS}/otel-auth`);
    const missing = validateEndpoint(snapshotOf(ep));
    expect(cond(missing, 'ConfigurationValid')).toMatchObject({
      status: 'False',
      reason: 'TelemetrySecretNotFound',
      message: expect.stringContaining('Secret "otel-auth" (spec.proxyConfig.telemetry.openTelemetry.sensitiveHeaders'),
    });
    const present = validateEndpoint(snapshotOf(ep, { secrets: { 'otel-auth': secretKeys('otel-auth', ['token']) } }));
    expect(present.valid).toBe(true);
  });

  it('CABundleValid: missing ConfigMap, missing key, not PEM, broken certificate, and a good bundle', async () => {
    const pem = await selfSignedPem();
    const ep = directEndpoint({ caBundleRef: { name: 'ca', key: 'ca.crt' } });
    const check = (cm: ReturnType<typeof configMap> | null) =>
      cond(validateEndpoint(snapshotOf(ep, { caBundle: cm })), 'CABundleValid');
    expect(check(null)).toMatchObject({ status: 'False', reason: 'CABundleNotFound' });
    expect(check(configMap('ca', { other: pem }))).toMatchObject({ status: 'False', reason: 'CABundleKeyNotFound' });
    expect(check(configMap('ca', { other: pem }))?.message).toContain('"other"');
    expect(check(configMap('ca', { 'ca.crt': 'not a certificate' }))).toMatchObject({
      status: 'False',
      reason: 'CABundleNotPEM',
    });
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(check(configMap('ca', { 'ca.crt': `${pem}\n${broken}` }))).toMatchObject({
      status: 'False',
      reason: 'CABundleInvalidCertificate',
    });
    expect(check(configMap('ca', { 'ca.crt': `${pem}\n${pem}` }))).toMatchObject({
      status: 'True',
      reason: 'CABundleValid',
      message: 'ConfigMap "ca" holds 2 PEM certificates',
    });
  });

  it('the CA key defaults to ca.crt', async () => {
    const pem = await selfSignedPem();
    const v = validateEndpoint(
      snapshotOf(directEndpoint({ caBundleRef: { name: 'ca' } }), { caBundle: configMap('ca', { 'ca.crt': pem }) }),
    );
    expect(cond(v, 'CABundleValid')?.status).toBe('True');
  });

  it('a header secret must exist and hold the key; values are never needed', () => {
    const ep = directEndpoint({
      headerForward: {
        addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: 'creds', key: 'api-key' } }],
      },
    });
    const none = validateEndpoint(snapshotOf(ep));
    expect(cond(none, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'HeaderSecretNotFound' });
    const noKey = validateEndpoint(snapshotOf(ep, { secrets: { creds: secretKeys('creds', ['other']) } }));
    expect(cond(noKey, 'ConfigurationValid')?.message).toContain('has no key "api-key"');
    const ok = validateEndpoint(snapshotOf(ep, { secrets: { creds: secretKeys('creds', ['api-key']) } }));
    expect(ok.valid).toBe(true);
  });

  it('header names that would break the request or override protocol headers are rejected', () => {
    const v = validateEndpoint(
      snapshotOf(directEndpoint({ headerForward: { addPlaintextHeaders: { Host: 'evil', 'X-Ok': 'a\r\nb' } } })),
    );
    expect(v.failures.map((f) => f.reason)).toEqual(['HeaderNameReserved', 'HeaderValueInvalid']);
  });

  it.each(['X-Forwarded-For', 'Forwarded', 'Expect', 'Trailers', 'HTTP2-Settings'])(
    'an endpoint asking for the reserved header %s gets ConfigurationValid=False, reason HeaderNameReserved',
    (name) => {
      const v = validateEndpoint(
        snapshotOf(
          directEndpoint({
            headerForward: {
              addHeadersFromSecret: [{ headerName: name, valueSecretRef: { name: 'creds', key: 'k' } }],
            },
          }),
          { secrets: { creds: secretKeys('creds', ['k']) } },
        ),
      );
      expect(cond(v, 'ConfigurationValid')).toMatchObject({
        status: 'False',
        reason: 'HeaderNameReserved',
        message: expect.stringContaining(
          `spec.headerForward.addHeadersFromSecret header "${name}" is reserved: hop-by-hop, Host, framing, forwarding`,
        ),
      });
    },
  );

  it('an auth config that injects or carries its token in a reserved header is AuthConfigValid=False', () => {
    const injecting = authConfig('inject', 'headerInjection');
    injecting.spec.headerInjection = { headerName: 'X-Forwarded-For', valueSecretRef: { name: 'k', key: 'v' } };
    const exchanging = authConfig('exchange', 'tokenExchange');
    exchanging.spec.tokenExchange = {
      tokenUrl: 'https://sts.example.com/token',
      audience: 'remote',
      externalTokenHeaderName: 'Host',
    };
    for (const auth of [injecting, exchanging]) {
      const v = validateEndpoint(
        snapshotOf(directEndpoint({ externalAuthConfigRef: { name: auth.metadata.name } }), { authConfig: auth }),
      );
      const expected = { status: 'False', reason: 'HeaderNameReserved', message: expect.stringMatching(/is reserved/) };
      expect(cond(v, 'AuthConfigValid')).toMatchObject(expected);
      expect(cond(v, 'ConfigurationValid')).toMatchObject(expected);
    }
    expect(
      cond(
        validateEndpoint(
          snapshotOf(directEndpoint({ externalAuthConfigRef: { name: 'inject' } }), { authConfig: injecting }),
        ),
        'AuthConfigValid',
      )?.message,
    ).toBe(
      'MCPExternalAuthConfig "inject" spec.headerInjection header "X-Forwarded-For" is reserved: hop-by-hop, Host, framing, forwarding (Forwarded, X-Forwarded-*) and MCP transport headers are set by the gateway, never by configuration',
    );
  });

  it('a same-name MCPServer is a NameCollision', () => {
    const v = validateEndpoint(snapshotOf(directEndpoint(), { collisions: [{ kind: 'MCPServer', name: 'context7' }] }));
    expect(cond(v, 'ConfigurationValid')).toMatchObject({ status: 'False', reason: 'NameCollision' });
  });

  it('reports every failure in one message, the own checks first', () => {
    const v = validateEndpoint(snapshotOf(directEndpoint({ remoteURL: 'https://' }), { group: null }));
    expect(v.failures.map((f) => f.reason)).toEqual(['RemoteURLInvalid', 'GroupNotFound']);
    const c = cond(v, 'ConfigurationValid');
    expect(c?.reason).toBe('RemoteURLInvalid');
    expect(c?.message).toContain('; ');
  });
});

describe('checkRemoteURL: the shared URL rule, for objects stored under an older CRD', () => {
  it.each([
    ['https://', 'has no host'],
    ['http://exa mple.com/mcp', 'contains whitespace'],
    ['https://host:99999/mcp', '"99999" as its port'],
    ['https://user:pw@host/mcp', 'carries credentials'],
  ])('%s is RemoteURLInvalid (%s)', (url, words) => {
    const f = checkRemoteURL(url);
    expect(f?.reason).toBe('RemoteURLInvalid');
    expect(f?.message).toContain(words);
    expect(f?.message).not.toContain(':pw@');
  });

  it('accepts ordinary URLs, IPv6 literals and ports', () => {
    for (const url of ['https://mcp.example.com/mcp', 'http://[::1]:8080/mcp', 'https://a.b:443']) {
      expect(checkRemoteURL(url)).toBeUndefined();
    }
  });
});

describe('checkPemCertificates', () => {
  it('counts certificates surrounded by comments', async () => {
    const pem = await selfSignedPem();
    const text = `# our CA\n${pem}\n# end\n`;
    expect(checkPemCertificates(text)).toEqual({ ok: true, certificates: 1, pem: text });
  });
});
