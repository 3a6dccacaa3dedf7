// MCPRemoteEndpoint validation on a real kube-apiserver: the CEL rules (proxyConfig required/forbidden by type, type
// immutable), defaulting, the remoteURL rule and the enums. The API server, not an offline evaluator, is the judge:
// only it shows that transition rules are skipped on create and that defaults are applied before validation.
import { describe, expect, it } from 'vitest';
import { MCP_REMOTE_ENDPOINT as MCPRE } from '../../../src/api/resources.ts';
import { useControlPlane } from '../../support/control-plane-suite.ts';
import { rejection } from '../../support/kube-objects.ts';
import { directEndpoint, proxyEndpoint, untypedEndpoint } from './fixtures.ts';

const REQUIRED_MSG = 'spec.proxyConfig is required when spec.type is proxy';
const FORBIDDEN_MSG = 'spec.proxyConfig must not be set when spec.type is direct';
const IMMUTABLE_MSG = 'spec.type is immutable after creation';

const api = useControlPlane({ namespace: 'mcpre-validation' });

/** The `field` of each cause the server gave for a 422, e.g. spec.proxyConfig. */
function causeFields(err: { body: unknown }): string[] {
  const causes = (err.body as { details?: { causes?: Array<{ field?: string }> } }).details?.causes ?? [];
  return causes.map((c) => c.field ?? '').sort();
}

describe('proxyConfig required when type is proxy', () => {
  it('rejects type proxy without proxyConfig, naming spec.proxyConfig', async () => {
    const err = await rejection(api.k.create(MCPRE, api.ns, proxyEndpoint('p-missing', { proxyConfig: undefined })));
    expect(err.status).toBe(422);
    expect(err.message).toContain(REQUIRED_MSG);
    expect(causeFields(err)).toEqual(['spec.proxyConfig']);
  });

  it('defaults an omitted type to proxy before validating, so proxyConfig is then required', async () => {
    const err = await rejection(api.k.create(MCPRE, api.ns, untypedEndpoint('untyped-missing')));
    expect(err.status).toBe(422);
    expect(err.message).toContain(REQUIRED_MSG);
  });

  it('accepts an omitted type with proxyConfig and stores type proxy with the proxy defaults', async () => {
    await api.k.create(MCPRE, api.ns, untypedEndpoint('untyped-ok', { proxyConfig: { oidcConfig: {} } }));
    const stored = await api.k.get(MCPRE, api.ns, 'untyped-ok');
    expect(stored.spec.type).toBe('proxy');
    expect(stored.spec.proxyConfig).toMatchObject({
      proxyPort: 8080,
      sessionAffinity: 'ClientIP',
      trustProxyHeaders: false,
      oidcConfig: { type: 'kubernetes' },
    });
  });

  it('rejects proxyConfig without oidcConfig', async () => {
    const err = await rejection(
      api.k.create(MCPRE, api.ns, proxyEndpoint('p-no-oidc', { proxyConfig: { proxyPort: 9000 } })),
    );
    expect(err.status).toBe(422);
    expect(err.message).toContain('spec.proxyConfig.oidcConfig: Required value');
  });
});

describe('proxyConfig forbidden when type is direct', () => {
  it('rejects type direct with proxyConfig, naming spec.proxyConfig', async () => {
    const err = await rejection(
      api.k.create(
        MCPRE,
        api.ns,
        directEndpoint('d-with-proxy', { proxyConfig: { oidcConfig: { type: 'kubernetes' } } }),
      ),
    );
    expect(err.status).toBe(422);
    expect(err.message).toContain(FORBIDDEN_MSG);
    expect(causeFields(err)).toEqual(['spec.proxyConfig']);
  });

  it('accepts type direct without proxyConfig and adds no proxy defaults', async () => {
    const created = await api.k.create(MCPRE, api.ns, directEndpoint('d-ok'));
    expect(created.spec.type).toBe('direct');
    expect(created.spec.proxyConfig).toBeUndefined();
  });

  it('rejects adding proxyConfig to an existing direct endpoint', async () => {
    await api.k.create(MCPRE, api.ns, directEndpoint('d-add-proxy'));
    const err = await rejection(
      api.k.mergePatch(MCPRE, api.ns, 'd-add-proxy', { spec: { proxyConfig: { oidcConfig: { type: 'kubernetes' } } } }),
    );
    expect(err.message).toContain(FORBIDDEN_MSG);
  });

  it('rejects removing proxyConfig from an existing proxy endpoint', async () => {
    await api.k.create(MCPRE, api.ns, proxyEndpoint('p-drop-proxy'));
    const err = await rejection(api.k.mergePatch(MCPRE, api.ns, 'p-drop-proxy', { spec: { proxyConfig: null } }));
    expect(err.message).toContain(REQUIRED_MSG);
  });
});

describe('type is immutable', () => {
  it('creates both types: the transition rule does not run on create', async () => {
    await expect(api.k.create(MCPRE, api.ns, directEndpoint('create-direct'))).resolves.toBeDefined();
    await expect(api.k.create(MCPRE, api.ns, proxyEndpoint('create-proxy'))).resolves.toBeDefined();
  });

  it('rejects direct -> proxy even when the new spec is otherwise valid', async () => {
    await api.k.create(MCPRE, api.ns, directEndpoint('flip-to-proxy'));
    const err = await rejection(
      api.k.mergePatch(MCPRE, api.ns, 'flip-to-proxy', {
        spec: { type: 'proxy', proxyConfig: { oidcConfig: { type: 'kubernetes' } } },
      }),
    );
    expect(err.status).toBe(422);
    expect(err.message).toContain(IMMUTABLE_MSG);
    expect(causeFields(err)).toEqual(['spec.type']);
    expect((await api.k.get(MCPRE, api.ns, 'flip-to-proxy')).spec.type).toBe('direct');
  });

  it('rejects proxy -> direct even when proxyConfig is removed in the same update', async () => {
    await api.k.create(MCPRE, api.ns, proxyEndpoint('flip-to-direct'));
    const err = await rejection(
      api.k.mergePatch(MCPRE, api.ns, 'flip-to-direct', { spec: { type: 'direct', proxyConfig: null } }),
    );
    expect(err.message).toContain(IMMUTABLE_MSG);
    expect(causeFields(err)).toEqual(['spec.type']);
    expect((await api.k.get(MCPRE, api.ns, 'flip-to-direct')).spec.type).toBe('proxy');
  });

  it('rejects a full replace that omits type on a direct endpoint (the default would flip it to proxy)', async () => {
    const created = await api.k.create(MCPRE, api.ns, directEndpoint('replace-untyped'));
    const err = await rejection(
      api.k.replace(MCPRE, api.ns, 'replace-untyped', {
        ...untypedEndpoint('replace-untyped'),
        metadata: { name: 'replace-untyped', resourceVersion: created.metadata.resourceVersion },
      }),
    );
    expect(err.message).toContain(IMMUTABLE_MSG);
  });

  it('accepts updates of other fields, and restating the same type', async () => {
    await api.k.create(MCPRE, api.ns, directEndpoint('update-other'));
    const updated = await api.k.mergePatch(MCPRE, api.ns, 'update-other', {
      spec: {
        type: 'direct',
        remoteURL: 'http://other.example.com/mcp',
        transport: 'sse',
        groupRef: 'other-team',
        headerForward: { addPlaintextHeaders: { 'X-Tenant': 't1' } },
      },
    });
    expect(updated.spec).toMatchObject({ type: 'direct', remoteURL: 'http://other.example.com/mcp', transport: 'sse' });

    await api.k.create(MCPRE, api.ns, proxyEndpoint('update-proxy-port'));
    const proxy = await api.k.mergePatch(MCPRE, api.ns, 'update-proxy-port', {
      spec: { proxyConfig: { proxyPort: 9090, sessionAffinity: 'None' } },
    });
    expect(proxy.spec.type).toBe('proxy');
    expect(proxy.spec.proxyConfig).toMatchObject({ proxyPort: 9090, sessionAffinity: 'None' });
  });
});

describe('defaults', () => {
  it('fills proxyPort 8080, sessionAffinity ClientIP, trustProxyHeaders false and caBundleRef.key ca.crt', async () => {
    await api.k.create(MCPRE, api.ns, proxyEndpoint('defaults', { caBundleRef: { name: 'ca' } }));
    const stored = await api.k.get(MCPRE, api.ns, 'defaults');
    expect(stored.spec.type).toBe('proxy');
    expect(stored.spec.proxyConfig.proxyPort).toBe(8080);
    expect(stored.spec.proxyConfig.sessionAffinity).toBe('ClientIP');
    expect(stored.spec.proxyConfig.trustProxyHeaders).toBe(false);
    expect(stored.spec.caBundleRef).toEqual({ name: 'ca', key: 'ca.crt' });
  });

  it('keeps explicit values instead of the defaults', async () => {
    await api.k.create(
      MCPRE,
      api.ns,
      proxyEndpoint('explicit', {
        proxyConfig: { oidcConfig: {}, proxyPort: 9443, sessionAffinity: 'None', trustProxyHeaders: true },
      }),
    );
    const stored = await api.k.get(MCPRE, api.ns, 'explicit');
    expect(stored.spec.proxyConfig).toMatchObject({
      proxyPort: 9443,
      sessionAffinity: 'None',
      trustProxyHeaders: true,
    });
  });
});

describe('field validation', () => {
  it.each(['https://mcp.example.com/mcp', 'http://127.0.0.1:8080/mcp'])('accepts remoteURL %s', async (url) => {
    const name = `url-ok-${url.startsWith('https') ? 's' : 'p'}`;
    const created = await api.k.create(MCPRE, api.ns, directEndpoint(name, { remoteURL: url }));
    expect(created.spec.remoteURL).toBe(url);
  });

  it.each([
    ['ftp', 'ftp://mcp.example.com/mcp'],
    ['no-scheme', 'mcp.example.com/mcp'],
    ['uppercase', 'HTTPS://mcp.example.com'],
    ['ws', 'ws://mcp.example.com'],
  ])('rejects remoteURL (%s) with the URL rule explained', async (label, url) => {
    const err = await rejection(api.k.create(MCPRE, api.ns, directEndpoint(`url-bad-${label}`, { remoteURL: url })));
    expect(err.status).toBe(422);
    expect(err.message).toContain('spec.remoteURL');
    expect(err.message).toContain('must be an absolute http:// or https:// URL');
  });

  it('rejects an unknown transport, type, sessionAffinity and an out-of-range proxyPort', async () => {
    const transport = await rejection(
      api.k.create(MCPRE, api.ns, directEndpoint('bad-transport', { transport: 'websocket' })),
    );
    expect(transport.message).toContain('spec.transport: Unsupported value: "websocket"');
    const type = await rejection(api.k.create(MCPRE, api.ns, directEndpoint('bad-type', { type: 'sidecar' })));
    expect(type.message).toContain('spec.type: Unsupported value: "sidecar"');
    const affinity = await rejection(
      api.k.create(
        MCPRE,
        api.ns,
        proxyEndpoint('bad-affinity', { proxyConfig: { oidcConfig: {}, sessionAffinity: 'Cookie' } }),
      ),
    );
    expect(affinity.message).toContain('spec.proxyConfig.sessionAffinity: Unsupported value: "Cookie"');
    const port = await rejection(
      api.k.create(MCPRE, api.ns, proxyEndpoint('bad-port', { proxyConfig: { oidcConfig: {}, proxyPort: 70000 } })),
    );
    expect(port.message).toContain('spec.proxyConfig.proxyPort');
  });

  it('requires remoteURL, transport and groupRef', async () => {
    const err = await rejection(
      api.k.create(MCPRE, api.ns, {
        apiVersion: 'toolhive.stacklok.dev/v1alpha1',
        kind: 'MCPRemoteEndpoint',
        metadata: { name: 'bare' },
        spec: { type: 'direct' },
      }),
    );
    expect(err.message).toContain('spec.remoteURL: Required value');
    expect(err.message).toContain('spec.transport: Required value');
    expect(err.message).toContain('spec.groupRef: Required value');
  });

  it('keeps secret header values out of the object: addHeadersFromSecret takes only a reference', async () => {
    const err = await rejection(
      api.k.create(
        MCPRE,
        api.ns,
        directEndpoint('inline-secret', {
          headerForward: { addHeadersFromSecret: [{ headerName: 'X-API-Key', value: 'sk-123' }] },
        }),
      ),
    );
    expect(err.message).toContain('valueSecretRef: Required value');
  });
});
