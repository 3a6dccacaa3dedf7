// Static mode: which endpoints of the group become backends, with what, and why the others are left out.
import { describe, expect, it } from 'vitest';
import { staticBackends } from '../../../src/api/vmcp/backends.ts';
import { authConfig, CA_PEM, configMap, direct, proxy, secret, snapshot, toolConfig, vmcp } from './fixtures.ts';

const withSecretHeader = (name: string, secretName = 'creds', key = 'api-key') =>
  direct(name, {
    headerForward: {
      addPlaintextHeaders: { 'X-Tenant': 't1' },
      addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: secretName, key } }],
    },
    caBundleRef: { name: 'ca', key: 'ca.crt' },
  });

describe('staticBackends', () => {
  it('writes type, url, transport, the secret header files and the CA path for a direct endpoint', () => {
    const s = snapshot(vmcp('gw'), [withSecretHeader('search')], {
      secrets: [secret('creds', ['api-key'])],
      configMaps: [configMap('ca', { 'ca.crt': CA_PEM })],
    });
    const out = staticBackends(s);
    expect(out.skipped).toEqual([]);
    expect(out.included).toEqual([
      {
        endpoint: 'search',
        backend: 'search',
        type: 'direct',
        config: {
          name: 'search',
          url: 'https://search.example.com/mcp',
          transport: 'streamable-http',
          type: 'direct',
          headers: { 'X-Tenant': 't1' },
          headerFiles: { 'X-API-Key': '/etc/mcpre/secrets/creds/api-key' },
          headerEnvVars: {},
          caBundlePath: '/etc/toolhive/ca-bundles/search/ca.crt',
          auth: { type: 'unauthenticated' },
        },
      },
    ]);
    expect(out.secrets).toEqual([{ name: 'creds', key: 'api-key' }]);
    expect(out.caMounts).toEqual([
      {
        endpoint: 'search',
        volume: 'ca-bundle-search',
        dir: '/etc/toolhive/ca-bundles/search',
        path: '/etc/toolhive/ca-bundles/search/ca.crt',
        configMap: 'ca',
        key: 'ca.crt',
        content: CA_PEM,
      },
    ]);
  });

  it('uses status.url for a proxy (over Streamable HTTP), skips one without it, and never applies direct-only settings', () => {
    const p = proxy('wiki', 'http://mcpre-wiki.team-a.svc.cluster.local:8080', {
      headerForward: { addHeadersFromSecret: [{ headerName: 'X-K', valueSecretRef: { name: 'nope', key: 'k' } }] },
      toolConfigRef: { name: 'missing-tc' },
    });
    const out = staticBackends(snapshot(vmcp('gw'), [p, proxy('later', undefined)]));
    expect(out.included.map((b) => b.config)).toEqual([
      expect.objectContaining({
        name: 'wiki',
        type: 'proxy',
        url: 'http://mcpre-wiki.team-a.svc.cluster.local:8080/mcp',
        transport: 'streamable-http',
        headerFiles: {},
      }),
    ]);
    expect(out.secrets).toEqual([]);
    expect(out.tools).toEqual([]);
    expect(out.skipped).toEqual([
      { endpoint: 'later', pending: true, reason: expect.stringContaining('status.url is empty') },
    ]);
  });

  it('leaves out, with a reason, an endpoint whose secret, key, CA, auth config or tool config is missing', () => {
    const endpoints = [
      withSecretHeader('no-secret', 'absent'),
      withSecretHeader('no-key', 'creds', 'other'),
      direct('bad-ca', { caBundleRef: { name: 'not-pem' } }),
      direct('no-auth', { externalAuthConfigRef: { name: 'ghost' } }),
      direct('sts', { externalAuthConfigRef: { name: 'aws' } }),
      direct('no-tools', { toolConfigRef: { name: 'gone' } }),
      direct('bad-header', { headerForward: { addPlaintextHeaders: { Host: 'evil' } } }),
      direct('unvalidated', {}, ''),
    ];
    const s = snapshot(vmcp('gw'), endpoints, {
      secrets: [secret('creds', ['api-key'])],
      configMaps: [configMap('ca', { 'ca.crt': CA_PEM }), configMap('not-pem', { 'ca.crt': 'hello' })],
      authConfigs: [authConfig('aws', { type: 'awsSts', awsSts: { region: 'eu-west-1' } })],
    });
    const out = staticBackends(s);
    expect(out.included).toEqual([]);
    expect(out.secrets).toEqual([]);
    expect(out.caMounts).toEqual([]);
    const reasons = Object.fromEntries(out.skipped.map((x) => [x.endpoint, x.reason]));
    expect(reasons).toEqual({
      'no-secret': 'header X-API-Key: Secret "absent" does not exist',
      'no-key': 'header X-API-Key: Secret "creds" has no key "other"',
      'bad-ca': expect.stringContaining('holds no PEM certificate'),
      'no-auth': 'MCPExternalAuthConfig "ghost" (spec.externalAuthConfigRef) does not exist',
      sts: expect.stringContaining('outgoing auth type awsSts'),
      'no-tools': expect.stringContaining('MCPToolConfig "gone" (spec.toolConfigRef) does not exist'),
      'bad-header': expect.stringContaining('the gateway would reject this backend'),
      unvalidated: expect.stringContaining('until the endpoint is validated'),
    });
    expect(out.skipped.filter((x) => x.pending).map((x) => x.endpoint)).toEqual(['unvalidated']);
  });

  it('turns outgoing auth into the files of its Secret keys, each key mounted once for every endpoint using it', () => {
    const s = snapshot(
      vmcp('gw'),
      [
        direct('a', { externalAuthConfigRef: { name: 'key' } }),
        proxy('b', 'http://b.svc:8080', { externalAuthConfigRef: { name: 'key' } }),
        direct('c', { externalAuthConfigRef: { name: 'sts' } }),
      ],
      {
        secrets: [secret('key-secret', ['v']), secret('sts-secret', ['s'])],
        authConfigs: [
          authConfig('key', {
            type: 'headerInjection',
            headerInjection: { headerName: 'Authorization', valueSecretRef: { name: 'key-secret', key: 'v' } },
          }),
          authConfig('sts', {
            type: 'tokenExchange',
            tokenExchange: {
              tokenUrl: 'https://sts.example.com/token',
              audience: 'remote',
              clientId: 'gw',
              clientSecretRef: { name: 'sts-secret', key: 's' },
              scopes: ['read'],
            },
          }),
        ],
      },
    );
    const out = staticBackends(s);
    expect(out.included.map((b) => [b.endpoint, b.config.auth])).toEqual([
      ['a', { type: 'headerInjection', headerName: 'Authorization', valueFile: '/etc/mcpre/secrets/key-secret/v' }],
      ['b', { type: 'headerInjection', headerName: 'Authorization', valueFile: '/etc/mcpre/secrets/key-secret/v' }],
      [
        'c',
        {
          type: 'tokenExchange',
          tokenUrl: 'https://sts.example.com/token',
          audience: 'remote',
          clientId: 'gw',
          clientSecretFile: '/etc/mcpre/secrets/sts-secret/s',
          scopes: ['read'],
        },
      ],
    ]);
    expect(out.secrets).toEqual([
      { name: 'key-secret', key: 'v' },
      { name: 'sts-secret', key: 's' },
    ]);
  });

  it("merges the VirtualMCPServer's tool settings over its MCPToolConfig, and they win over the endpoint's own ref", () => {
    const v = vmcp('gw', {
      aggregation: {
        tools: [
          {
            backend: 'docs',
            toolConfigRef: { name: 'shared' },
            overrides: { search: { description: 'Search the docs.' } },
          },
        ],
      },
    });
    const s = snapshot(
      v,
      [direct('docs', { toolConfigRef: { name: 'own' } }), direct('other', { toolConfigRef: { name: 'own' } })],
      {
        toolConfigs: [
          toolConfig('shared', { toolsFilter: ['search', 'fetch'], toolsOverride: { search: { name: 'find' } } }),
          toolConfig('own', { toolsFilter: ['only-this'] }),
        ],
      },
    );
    expect(staticBackends(s).tools).toEqual([
      { backend: 'docs', filter: ['search', 'fetch'], overrides: { search: { description: 'Search the docs.' } } },
      { backend: 'other', filter: ['only-this'] },
    ]);
  });

  it('gives an endpoint name that is not a DNS label a stable, hashed backend name and mounts its CA by its own name', () => {
    const e = direct('docs.internal', { caBundleRef: { name: 'ca' } });
    const out = staticBackends(snapshot(vmcp('gw'), [e], { configMaps: [configMap('ca', { 'ca.crt': CA_PEM })] }));
    expect(out.included[0]?.backend).toMatch(/^docs-internal-[0-9a-f]{8}$/);
    expect(out.caMounts[0]?.path).toBe('/etc/toolhive/ca-bundles/docs.internal/ca.crt');
    expect(out.caMounts[0]?.volume).toMatch(/^ca-bundle-docs-internal-[0-9a-f]{8}$/);
  });
  it('keeps a proxy the running gateway serves while its status.url is briefly empty, but not a failed one', () => {
    const served = configMap('vmcp-gw-config', {
      'config.yaml':
        'backends:\n  - name: wiki\n    type: proxy\n    url: http://wiki.svc:8080/mcp\n  - name: broken\n    type: proxy\n    url: http://broken.svc:8080/mcp\n',
    });
    const broken = proxy('broken', undefined);
    broken.status = { phase: 'Failed' };
    const s = snapshot(vmcp('gw'), [proxy('wiki', undefined), broken, proxy('new', undefined)]);
    s.owned.ConfigMap = served;
    const out = staticBackends(s);
    expect(out.included.map((b) => [b.endpoint, b.config.url])).toEqual([['wiki', 'http://wiki.svc:8080/mcp']]);
    expect(out.skipped.map((x) => [x.endpoint, x.pending])).toEqual([
      ['broken', false],
      ['new', true],
    ]);
  });

  it("leaves out, with the URL rule's reason, endpoints whose URLs an older CRD admitted", () => {
    const out = staticBackends(
      snapshot(vmcp('gw'), [
        direct('spaced', { remoteURL: 'http://a b/' }, 'http://a b/'),
        direct('creds', { remoteURL: 'https://u:hunter2@x.example.com/' }, 'https://u:hunter2@x.example.com/'),
        proxy('bad-status', 'http://[::1'),
        direct('fine'),
      ]),
    );
    expect(out.included.map((b) => b.endpoint)).toEqual(['fine']);
    const why = Object.fromEntries(out.skipped.map((s) => [s.endpoint, s.reason]));
    expect(why.spaced).toContain('contains whitespace');
    expect(why.creds).toContain('carries credentials');
    expect(why.creds).not.toContain('hunter2');
    expect(why['bad-status']).toContain('status.url "http://[::1"');
  });
});
