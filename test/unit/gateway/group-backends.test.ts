import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { ConfigMap, Endpoint, ExternalAuthConfig } from '../../../src/api/endpoint/model.ts';
import type { DesiredBackend } from '../../../src/gateway/backend-set.ts';
import {
  type GroupSnapshot,
  groupBackends,
  type SecretObject,
  type ToolConfigObject,
} from '../../../src/gateway/discovery/group-backends.ts';

const ns = 'tools';
const endpoint = (name: string, spec: Partial<Endpoint['spec']>, status?: Endpoint['status']): Endpoint => ({
  metadata: { name, namespace: ns },
  spec: {
    type: 'direct',
    remoteURL: `https://${name}.example/mcp`,
    transport: 'streamable-http',
    groupRef: 'team',
    ...spec,
  } as Endpoint['spec'],
  ...(status ? { status } : {}),
});
const secret = (name: string, data: Record<string, string>): SecretObject => ({
  metadata: { name, namespace: ns },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

function snapshot(opts: {
  endpoints: Endpoint[];
  secrets?: SecretObject[];
  auth?: ExternalAuthConfig[];
  configMaps?: ConfigMap[];
  tools?: ToolConfigObject[];
}): GroupSnapshot {
  const by =
    <T extends { metadata: { name: string } }>(list: T[] = []) =>
    (name: string) =>
      list.find((o) => o.metadata.name === name);
  return {
    group: 'team',
    namespace: ns,
    endpoints: opts.endpoints,
    secret: by(opts.secrets),
    authConfig: by(opts.auth),
    configMap: by(opts.configMaps),
    toolConfig: by(opts.tools),
  };
}

const none = new Map<string, DesiredBackend>();
const reasons = (desired: DesiredBackend[]) =>
  Object.fromEntries(desired.map((d) => [d.name, d.result.ok ? 'ok' : d.result.reason]));

describe('groupBackends', () => {
  it('takes the group members only: direct by remoteURL, proxy by status.url, sorted by name', () => {
    const desired = groupBackends(
      snapshot({
        endpoints: [
          endpoint('zeta', {}),
          endpoint(
            'proxied',
            { type: 'proxy', remoteURL: 'https://remote.example/mcp' },
            { url: 'http://proxied.tools.svc.cluster.local:8080' },
          ),
          endpoint('elsewhere', { groupRef: 'other' }),
          {
            ...endpoint('going', {}),
            metadata: { name: 'going', namespace: ns, deletionTimestamp: '2026-01-01T00:00:00Z' },
          },
        ],
      }),
      none,
    );
    expect(desired.map((d) => d.name)).toEqual(['proxied', 'zeta']);
    const [proxied, zeta] = desired;
    expect(proxied?.result.ok && proxied.result.setup.info).toEqual({
      name: 'proxied',
      url: 'http://proxied.tools.svc.cluster.local:8080/mcp',
      type: 'proxy',
      authMethod: 'unauthenticated',
    });
    expect(zeta?.result.ok && zeta.result.setup.info.url).toBe('https://zeta.example/mcp');
  });

  it('keeps a proxy it already serves when status.url empties, and leaves a new one out until it has a URL', () => {
    const withUrl = endpoint('p', { type: 'proxy' }, { url: 'http://p.tools.svc:8080' });
    const first = groupBackends(snapshot({ endpoints: [withUrl] }), none);
    const previous = new Map(first.map((d) => [d.name, d]));
    const emptied = groupBackends(snapshot({ endpoints: [endpoint('p', { type: 'proxy' }, { url: '' })] }), previous);
    expect(emptied).toEqual(first);
    const fresh = groupBackends(snapshot({ endpoints: [endpoint('q', { type: 'proxy' })] }), none);
    expect(reasons(fresh)).toEqual({ q: 'the proxy is not available yet (status.url is empty)' });
  });

  it('resolves header secrets, header injection and the CA bundle; a missing piece leaves only that backend out', () => {
    const desired = groupBackends(
      snapshot({
        endpoints: [
          endpoint('good', {
            headerForward: {
              addPlaintextHeaders: { 'X-Tenant': 't1' },
              addHeadersFromSecret: [{ headerName: 'X-Api-Key', valueSecretRef: { name: 'keys', key: 'api' } }],
            },
            externalAuthConfigRef: { name: 'inject' },
            caBundleRef: { name: 'ca' },
          }),
          endpoint('no-secret', {
            headerForward: {
              addHeadersFromSecret: [{ headerName: 'X-Api-Key', valueSecretRef: { name: 'keys', key: 'nope' } }],
            },
          }),
          endpoint('no-auth', { externalAuthConfigRef: { name: 'ghost' } }),
          endpoint('sts', { externalAuthConfigRef: { name: 'sts' } }),
          endpoint('bad-ca', { caBundleRef: { name: 'junk', key: 'ca.crt' } }),
          endpoint('binary-ca', { caBundleRef: { name: 'binary-ca' } }),
          endpoint('no-ca', { caBundleRef: { name: 'ghost-ca' } }),
          endpoint('no-tools', { toolConfigRef: { name: 'ghost-tools' } }),
          endpoint('crlf', {
            headerForward: {
              addHeadersFromSecret: [{ headerName: 'X-A', valueSecretRef: { name: 'keys', key: 'crlf' } }],
            },
          }),
        ],
        secrets: [secret('keys', { api: 'k-1', token: 'Bearer t-1', crlf: 'a\r\nb' })],
        auth: [
          {
            metadata: { name: 'inject' },
            spec: {
              type: 'headerInjection',
              headerInjection: { headerName: 'Authorization', valueSecretRef: { name: 'keys', key: 'token' } },
            },
          },
          { metadata: { name: 'sts' }, spec: { type: 'awsSts' } },
        ] as ExternalAuthConfig[],
        configMaps: [
          { metadata: { name: 'ca' }, data: { 'ca.crt': rootCertificates[0]! } },
          { metadata: { name: 'junk' }, data: { 'ca.crt': 'not pem' } },
          {
            metadata: { name: 'binary-ca' },
            binaryData: { 'ca.crt': Buffer.from(rootCertificates[1]!).toString('base64') },
          },
        ],
      }),
      none,
    );
    expect(reasons(desired)).toEqual({
      'bad-ca': expect.stringMatching(/^key "ca.crt" of ConfigMap "junk" holds no PEM certificate/),
      'binary-ca': 'ok',
      crlf: 'header X-A: the value from Secret keys contains a line break (CR or LF)',
      good: 'ok',
      'no-ca': expect.stringMatching(/^ConfigMap "ghost-ca" \(spec.caBundleRef\) does not exist/),
      'no-auth': 'MCPExternalAuthConfig ghost not found',
      'no-secret': 'header X-Api-Key: Secret keys has no key nope',
      'no-tools': 'MCPToolConfig ghost-tools not found',
      sts: 'MCPExternalAuthConfig sts: type awsSts cannot be applied by the gateway',
    });
    const good = desired.find((d) => d.name === 'good')!;
    if (!good.result.ok) throw new Error('expected ok');
    expect(good.result.setup.outgoing.headers).toEqual({
      'x-tenant': 't1',
      'x-api-key': 'k-1',
      authorization: 'Bearer t-1',
    });
    expect(good.result.setup.info.authMethod).toBe('headerInjection');
    expect(good.result.setup.caPem).toBe(rootCertificates[0]);
    // A bundle under binaryData is read as the operator reads it.
    const binary = desired.find((d) => d.name === 'binary-ca')!;
    if (!binary.result.ok) throw new Error('expected ok');
    expect(binary.result.setup.caPem).toBe(rootCertificates[1]);
    // The fingerprint carries no secret value.
    expect(good.fingerprint).not.toContain('k-1');
  });

  it('leaves out an endpoint whose headers or auth config name a reserved header, with the reason', () => {
    const desired = groupBackends(
      snapshot({
        endpoints: [
          endpoint('xff', { headerForward: { addPlaintextHeaders: { 'X-Forwarded-For': '10.0.0.1' } } }),
          endpoint('fwd', { externalAuthConfigRef: { name: 'fwd' } }),
          endpoint('twice', {
            headerForward: { addPlaintextHeaders: { authorization: 'Bearer plain' } },
            externalAuthConfigRef: { name: 'inject' },
          }),
        ],
        secrets: [secret('keys', { token: 'Bearer t-1' })],
        auth: [
          {
            metadata: { name: 'fwd' },
            spec: {
              type: 'headerInjection',
              headerInjection: { headerName: 'Forwarded', valueSecretRef: { name: 'keys', key: 'token' } },
            },
          },
          {
            metadata: { name: 'inject' },
            spec: {
              type: 'headerInjection',
              headerInjection: { headerName: 'Authorization', valueSecretRef: { name: 'keys', key: 'token' } },
            },
          },
        ] as ExternalAuthConfig[],
      }),
      none,
    );
    const reserved =
      'is reserved: hop-by-hop, Host, framing, forwarding (Forwarded, X-Forwarded-*) and MCP transport headers are set by the gateway, never by configuration';
    expect(reasons(desired)).toEqual({
      xff: `header "X-Forwarded-For" (addPlaintextHeaders) ${reserved}`,
      fwd: `header "Forwarded" (MCPExternalAuthConfig fwd (Secret keys)) ${reserved}`,
      twice:
        'header Authorization is set twice (addPlaintextHeaders and MCPExternalAuthConfig inject (Secret keys)); set it once',
    });
    expect(JSON.stringify(desired)).not.toContain('t-1');
  });

  it('sets a tokenExchange endpoint up for per-client sessions, with its client secret from the Secret', async () => {
    const exchange = (name: string, extra: object) => ({
      metadata: { name },
      spec: {
        type: 'tokenExchange',
        tokenExchange: { tokenUrl: 'https://sts.example/token', audience: 'gh', clientId: 'gw', ...extra },
      },
    });
    const desired = groupBackends(
      snapshot({
        endpoints: [
          endpoint('te', { externalAuthConfigRef: { name: 'te' } }),
          endpoint('te-no-secret', { externalAuthConfigRef: { name: 'te-no-secret' } }),
          endpoint('te-upstream', { externalAuthConfigRef: { name: 'te-upstream' } }),
        ],
        secrets: [secret('sts', { secret: 's-1' })],
        auth: [
          exchange('te', { clientSecretRef: { name: 'sts', key: 'secret' } }),
          exchange('te-no-secret', { clientSecretRef: { name: 'sts', key: 'nope' } }),
          exchange('te-upstream', { subjectProviderName: 'github' }),
        ] as ExternalAuthConfig[],
      }),
      none,
    );
    expect(reasons(desired)).toMatchObject({
      te: 'ok',
      'te-no-secret': 'MCPExternalAuthConfig te-no-secret: Secret sts has no key nope',
      'te-upstream': expect.stringMatching(/subjectProviderName .* not supported/),
    });
    const te = desired.find((d) => d.name === 'te')!;
    if (!te.result.ok) throw new Error('expected ok');
    expect(te.result.setup.info.authMethod).toBe('tokenExchange');
    expect(te.result.setup.outgoing.perClient).toMatchObject({
      maxSessions: 100,
      idleMs: 600_000,
      exchange: { tokenUrl: 'https://sts.example/token', audience: 'gh', clientId: 'gw' },
    });
    expect(await te.result.setup.outgoing.perClient?.exchange.clientSecret?.()).toBe('s-1');
    expect(te.result.setup.outgoing.headers).toEqual({});
    expect(te.fingerprint).not.toContain('s-1');
  });

  it('changes the fingerprint when a referenced Secret rotates, and only then', () => {
    const ep = endpoint('e', {
      headerForward: { addHeadersFromSecret: [{ headerName: 'X-K', valueSecretRef: { name: 's', key: 'k' } }] },
    });
    const one = groupBackends(snapshot({ endpoints: [ep], secrets: [secret('s', { k: 'v1' })] }), none)[0]!;
    const same = groupBackends(snapshot({ endpoints: [ep], secrets: [secret('s', { k: 'v1' })] }), none)[0]!;
    const rotated = groupBackends(snapshot({ endpoints: [ep], secrets: [secret('s', { k: 'v2' })] }), none)[0]!;
    expect(same.fingerprint).toBe(one.fingerprint);
    expect(rotated.fingerprint).not.toBe(one.fingerprint);
  });

  it('carries the MCPToolConfig as the backend tool config', () => {
    const desired = groupBackends(
      snapshot({
        endpoints: [endpoint('docs', { toolConfigRef: { name: 'docs-only' } })],
        tools: [
          {
            metadata: { name: 'docs-only' },
            spec: { toolsFilter: ['search'], toolsOverride: { search: { name: 'find' } } },
          },
        ],
      }),
      none,
    );
    expect(desired[0]?.tools).toEqual({ filter: ['search'], overrides: { search: { name: 'find' } } });
  });

  it('leaves out, one by one, endpoints whose URL breaks the shared rule (stored under an older CRD)', () => {
    const hostile = [
      'http://',
      'https://',
      'http://a b/',
      'http://[::1',
      'http://:80/',
      'http://a:99999/',
      'https://%/',
    ];
    const desired = groupBackends(
      snapshot({
        endpoints: [
          ...hostile.map((url, i) => endpoint(`bad-${i}`, { remoteURL: url })),
          endpoint('creds', { remoteURL: 'https://user:hunter2@mcp.example/mcp' }),
          endpoint('proxied', { type: 'proxy' }, { url: 'http://proxied.tools.svc:99999' }),
          endpoint('sts', { externalAuthConfigRef: { name: 'sts' } }),
          endpoint('good', {}),
        ],
        auth: [
          {
            metadata: { name: 'sts', namespace: ns },
            spec: { type: 'tokenExchange', tokenExchange: { tokenUrl: 'https://sts.example:0/token', audience: 'a' } },
          } as ExternalAuthConfig,
        ],
      }),
      none,
    );
    const why = reasons(desired);
    for (const [i, url] of hostile.entries()) expect(why[`bad-${i}`]).toMatch(`spec.remoteURL ${JSON.stringify(url)}`);
    expect(why.creds).toContain('carries credentials');
    expect(why.creds).not.toContain('hunter2');
    expect(why.proxied).toContain('status.url "http://proxied.tools.svc:99999" has "99999" as its port');
    expect(why.sts).toContain('MCPExternalAuthConfig sts: tokenExchange.tokenUrl "https://sts.example:0/token"');
    expect(why.good).toBe('ok');
  });

  it("follows the operator's Failed verdict on the current generation only", () => {
    const failed = (observedGeneration: number): Endpoint['status'] => ({
      phase: 'Failed',
      observedGeneration,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ToolConfigNotFound',
          message: 'MCPToolConfig "t" does not exist',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    });
    const at = (generation: number, status: Endpoint['status']) => {
      const e = endpoint('judged', {}, status);
      return { ...e, metadata: { ...e.metadata, generation } };
    };
    const current = groupBackends(snapshot({ endpoints: [at(3, failed(3))] }), none);
    expect(reasons(current).judged).toBe(
      'the operator marked this endpoint Failed (ToolConfigNotFound: MCPToolConfig "t" does not exist)',
    );
    // A verdict on an older spec says nothing about the current one.
    const stale = groupBackends(snapshot({ endpoints: [at(4, failed(3))] }), none);
    expect(reasons(stale).judged).toBe('ok');
  });

  it('turns anything an endpoint holds that cannot be read into that endpoint being left out', () => {
    const odd = endpoint('odd', {
      headerForward: { addPlaintextHeaders: null as unknown as Record<string, string> },
      externalAuthConfigRef: { name: 'a' },
    });
    const desired = groupBackends(
      snapshot({
        endpoints: [odd, endpoint('fine', {})],
        // An auth config whose spec is missing entirely: reading its type throws.
        auth: [{ metadata: { name: 'a', namespace: ns } } as unknown as ExternalAuthConfig],
      }),
      none,
    );
    expect(reasons(desired).odd).toMatch(/^cannot be read: /);
    expect(reasons(desired).fine).toBe('ok');
  });
});
