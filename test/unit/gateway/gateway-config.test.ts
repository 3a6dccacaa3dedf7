import { describe, expect, it } from 'vitest';
import { GatewayConfigError } from '../../../src/api/gateway/config.ts';
import { parseGatewayConfig } from '../../../src/api/gateway/config-text.ts';

describe('gateway config file', () => {
  it('fills defaults for a minimal file', () => {
    const cfg = parseGatewayConfig('backends:\n  - name: demo\n    url: http://127.0.0.1:1/mcp\n');
    expect(cfg.name).toBe('mcpre-gateway');
    expect(cfg.backends[0]).toEqual({
      name: 'demo',
      url: 'http://127.0.0.1:1/mcp',
      transport: 'streamable-http',
      type: 'direct',
      headers: {},
      headerFiles: {},
      headerEnvVars: {},
      auth: { type: 'unauthenticated' },
    });
    expect(cfg.aggregation.conflictResolution).toBe('prefix');
    expect(cfg.aggregation.conflictResolutionConfig.prefixFormat).toBe('{backend}_');
    expect(cfg.incomingAuth).toEqual({ type: 'anonymous' });
    expect(cfg.server.maxRequestBodyBytes).toBe(4 * 1024 * 1024);
    expect(cfg.server.maxSessionsPerClient).toBe(100);
    expect(cfg.server.resumableStreams).toEqual({
      maxBytesPerSession: 8 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      ttlSeconds: 300,
    });
    expect(cfg.readiness).toBe('any');
    // A partial server section gets the same defaults for what it leaves out.
    const partial = parseGatewayConfig('server: { resumableStreams: { ttlSeconds: 60 } }\n');
    expect(partial.server.resumableStreams).toEqual({
      maxBytesPerSession: 8 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      ttlSeconds: 60,
    });
    expect(partial.server.maxSessions).toBe(10_000);
  });

  it('accepts the shape the operator writes in static mode', () => {
    const cfg = parseGatewayConfig(`
name: team-tools
backends:
  - name: github
    url: https://api.githubcopilot.com/mcp/
    type: direct
    transport: streamable-http
    caBundlePath: /etc/toolhive/ca-bundles/github/ca.crt
    headers: { X-Team: platform }
    headerFiles: { X-Api-Key: /etc/mcpre/secrets/github-key/api-key }
    auth: { type: headerInjection, headerName: Authorization, valueFile: /etc/mcpre/secrets/github-token/token }
  - name: internal
    url: http://mcp-internal-remote-proxy.tools.svc.cluster.local:8080/mcp
    type: proxy
aggregation:
  conflictResolution: priority
  conflictResolutionConfig: { priorityOrder: [internal] }
  tools:
    - backend: github
      filter: [search_code]
      overrides: { search_code: { name: code_search, annotations: { readOnlyHint: true } } }
incomingAuth: { type: oidc, issuer: https://idp.example.com, audience: vmcp }
lease: { name: team-tools, durationSeconds: 15, renewDeadlineSeconds: 10 }
`);
    expect(cfg.backends.map((b) => b.type)).toEqual(['direct', 'proxy']);
    expect(cfg.incomingAuth).toMatchObject({ type: 'oidc', clockToleranceSeconds: 30 });
    expect(cfg.lease).toMatchObject({ name: 'team-tools', retryPeriodSeconds: 2 });
  });

  it('lists every problem with its path', () => {
    let error: unknown;
    try {
      parseGatewayConfig(`
backends:
  - name: Bad_Name
    url: ftp://example.com
    headers: { "Bad Header": x, Host: evil }
    headerEnvVars: { X-Key: "1NOT_AN_ENV" }
    headerFiles: { X-File: relative/key, X-Up: /etc/../root/key }
    caBundlePath: relative/ca.crt
  - name: dup
    url: http://a/mcp
  - name: dup
    url: http://b/mcp
    auth: { type: headerInjection, headerName: X-Token }
aggregation:
  conflictResolution: priority
  tools: [{ backend: ghost }]
unknownKey: 1
lease: { name: x, durationSeconds: 10, renewDeadlineSeconds: 10 }
`);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayConfigError);
    const message = (error as Error).message;
    for (const expected of [
      'backends[0].name: must be a lowercase DNS label',
      'backends[0].url (backend "Bad_Name"): the URL "ftp://example.com" does not start with http:// or https://',
      'backends[0].headers.Bad Header: header "Bad Header" is not a valid HTTP header name',
      'backends[0].headers.Host: header "Host" is reserved',
      'backends[0].headerEnvVars.X-Key: not a valid environment variable name',
      'backends[0].caBundlePath: must be an absolute path',
      'backends[0].headerFiles.X-File: must be an absolute path',
      "backends[0].headerFiles.X-Up: may not contain '..'",
      'backends[2].auth: set exactly one of valueFile and valueEnv',
      '(top level): Unrecognized key: "unknownKey"',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it.each([
    ['headers', '{ X-Forwarded-For: 10.0.0.1 }'],
    ['headerFiles', '{ Forwarded: /s/f }'],
    ['headerEnvVars', '{ Expect: E }'],
    ['headers', '{ Trailers: x }'],
    ['headers', '{ HTTP2-Settings: x }'],
  ])('refuses a reserved header in %s %s with the reason', (field, value) => {
    const name = value.slice(2, value.indexOf(':'));
    expect(() => parseGatewayConfig(`backends: [{ name: a, url: "http://a/mcp", ${field}: ${value} }]\n`)).toThrow(
      `backends[0].${field}.${name}: header "${name}" is reserved: hop-by-hop, Host, framing, forwarding`,
    );
  });

  it('refuses a reserved injected header and a header value with NUL', () => {
    expect(() =>
      parseGatewayConfig(
        'backends: [{ name: a, url: "http://a/mcp", auth: { type: headerInjection, headerName: X-Forwarded-For, valueEnv: V } }]\n',
      ),
    ).toThrow('backends[0].auth.headerName: header "X-Forwarded-For" is reserved');
    expect(() =>
      parseGatewayConfig('backends: [{ name: a, url: "http://a/mcp", headers: { X-A: "1\\u0000" } }]\n'),
    ).toThrow('backends[0].headers.X-A: the header value contains a control character');
  });

  it('checks cross-field rules once the fields are valid', () => {
    const run = (yaml: string) => {
      try {
        parseGatewayConfig(yaml);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const base = 'backends:\n  - { name: a, url: "http://a/mcp" }\n  - { name: a, url: "http://b/mcp" }\n';
    expect(run(base)).toContain('backends[1].name: duplicate backend name "a"');
    const priority = 'backends: [{ name: a, url: "http://a/mcp" }]\naggregation: { conflictResolution: priority }\n';
    expect(run(priority)).toContain('needs a non-empty priorityOrder');
    const ghost =
      'backends: [{ name: a, url: "http://a/mcp" }]\naggregation: { tools: [{ backend: ghost }], conflictResolutionConfig: { priorityOrder: [nope] } }\n';
    expect(run(ghost)).toContain('aggregation.tools[0].backend: no backend named "ghost"');
    expect(run(ghost)).toContain('aggregation.conflictResolutionConfig.priorityOrder[0]: no backend named "nope"');
    const lease = 'lease: { name: x, durationSeconds: 10, renewDeadlineSeconds: 10 }\n';
    expect(run(lease)).toContain('lease.renewDeadlineSeconds: must be shorter than durationSeconds');
    const budget = 'server: { resumableStreams: { maxBytesPerSession: 2000, maxBytes: 1000 } }\n';
    expect(run(budget)).toContain('server.resumableStreams.maxBytes: must be at least maxBytesPerSession');
    const twice = 'backends: [{ name: a, url: "http://a/mcp", headers: { X-A: "1" }, headerEnvVars: { x-a: A } }]\n';
    expect(run(twice)).toContain('is set both in headers and headerEnvVars');
    const files =
      'backends: [{ name: a, url: "http://a/mcp", headerFiles: { X-A: /s/a }, headerEnvVars: { x-a: A } }]\n';
    expect(run(files)).toContain(
      'backends[0].headerEnvVars.x-a: header "x-a" is set both in headerFiles and headerEnvVars',
    );
    const injected =
      'backends: [{ name: a, url: "http://a/mcp", headerFiles: { Authorization: /s/a }, auth: { type: headerInjection, headerName: authorization, valueFile: /s/b } }]\n';
    expect(run(injected)).toContain('is also set in headers, headerFiles or headerEnvVars');
    const both = 'valueEnv: A, valueFile: /s/a';
    expect(
      run(`backends: [{ name: a, url: "http://a/mcp", auth: { type: headerInjection, headerName: X, ${both} } }]\n`),
    ).toContain('backends[0].auth: set exactly one of valueFile and valueEnv');
    const secret = 'clientSecretFile: /s/c, clientSecretEnv: C';
    expect(
      run(
        `backends: [{ name: a, url: "http://a/mcp", auth: { type: tokenExchange, tokenUrl: "https://sts/t", audience: x, ${secret} } }]\n`,
      ),
    ).toContain('backends[0].auth.clientSecretFile: set at most one of clientSecretFile and clientSecretEnv');
  });

  it('rejects header values with CR/LF, and YAML that does not parse', () => {
    expect(() =>
      parseGatewayConfig('backends: [{ name: a, url: "http://a/mcp", headers: { X-A: "v\\r\\nInjected: 1" } }]'),
    ).toThrow('backends[0].headers.X-A: the header value contains a line break (CR or LF)');
    expect(() => parseGatewayConfig('backends: [', 'cfg.yaml')).toThrow(/cfg.yaml is not valid YAML/);
  });
});

describe('gateway config without static backends (dynamic discovery)', () => {
  it('accepts priority and tool entries that name backends discovered at run time', () => {
    const cfg = parseGatewayConfig(
      'aggregation: { conflictResolution: priority, conflictResolutionConfig: { priorityOrder: [found-later] }, tools: [{ backend: found-later, excludeAll: true }] }',
    );
    expect(cfg.aggregation.conflictResolutionConfig.priorityOrder).toEqual(['found-later']);
  });
});
