// MCPExternalAuthConfig on a real kube-apiserver: the settings block must match spec.type (required for its own type,
// forbidden for every other), secrets are references only, and each type's own field rules.
import { describe, expect, it } from 'vitest';
import { MCP_EXTERNAL_AUTH_CONFIG as EXTAUTH } from '../../../src/api/resources.ts';
import { useControlPlane } from '../../support/control-plane-suite.ts';
import { rejection } from '../../support/kube-objects.ts';
import { authBlocks, authConfig, secretRef } from './fixtures.ts';

const api = useControlPlane({ namespace: 'extauth' });

const blockTypes = Object.keys(authBlocks) as Array<keyof typeof authBlocks>;
const allTypes = ['unauthenticated', ...blockTypes] as const;
const slug = (s: string) => s.toLowerCase();

describe('each type with its own block', () => {
  it.each(blockTypes)('accepts type %s with its block', async (type) => {
    const created = await api.k.create(
      EXTAUTH,
      api.ns,
      authConfig(`ok-${slug(type)}`, { type, [type]: authBlocks[type] }),
    );
    expect(created.spec.type).toBe(type);
  });

  it('accepts unauthenticated with no block', async () => {
    const created = await api.k.create(EXTAUTH, api.ns, authConfig('ok-unauthenticated', { type: 'unauthenticated' }));
    expect(Object.keys(created.spec)).toEqual(['type']);
  });

  it.each(blockTypes)('rejects type %s without its block', async (type) => {
    const err = await rejection(api.k.create(EXTAUTH, api.ns, authConfig(`missing-${slug(type)}`, { type })));
    expect(err.status).toBe(422);
    expect(err.message).toContain(`spec.${type} is required when spec.type is ${type}`);
  });
});

describe('blocks of other types are forbidden', () => {
  const pairs = allTypes.flatMap((type) => blockTypes.filter((b) => b !== type).map((block) => [type, block] as const));

  it.each(pairs)('rejects type %s carrying a %s block', async (type, block) => {
    const spec: Record<string, unknown> = { type, [block]: authBlocks[block] };
    if (type !== 'unauthenticated') spec[type] = authBlocks[type];
    const err = await rejection(api.k.create(EXTAUTH, api.ns, authConfig(`extra-${slug(type)}-${slug(block)}`, spec)));
    expect(err.status).toBe(422);
    expect(err.message).toContain(`spec.${block} must not be set when spec.type is ${type}`);
  });

  it('rejects switching type without switching the block', async () => {
    await api.k.create(
      EXTAUTH,
      api.ns,
      authConfig('switch', { type: 'headerInjection', headerInjection: authBlocks.headerInjection }),
    );
    const err = await rejection(api.k.mergePatch(EXTAUTH, api.ns, 'switch', { spec: { type: 'tokenExchange' } }));
    expect(err.message).toContain('spec.tokenExchange is required when spec.type is tokenExchange');
    expect(err.message).toContain('spec.headerInjection must not be set when spec.type is tokenExchange');
    const switched = await api.k.mergePatch(EXTAUTH, api.ns, 'switch', {
      spec: { type: 'tokenExchange', headerInjection: null, tokenExchange: authBlocks.tokenExchange },
    });
    expect(switched.spec.type).toBe('tokenExchange');
  });
});

describe('field rules per type', () => {
  it('tokenExchange needs tokenUrl (http/https) and audience, and takes the client secret by reference', async () => {
    const missing = await rejection(
      api.k.create(
        EXTAUTH,
        api.ns,
        authConfig('te-missing', { type: 'tokenExchange', tokenExchange: { clientId: 'c' } }),
      ),
    );
    expect(missing.message).toContain('spec.tokenExchange.tokenUrl: Required value');
    expect(missing.message).toContain('spec.tokenExchange.audience: Required value');
    const badUrl = await rejection(
      api.k.create(
        EXTAUTH,
        api.ns,
        authConfig('te-bad-url', {
          type: 'tokenExchange',
          tokenExchange: { ...authBlocks.tokenExchange, tokenUrl: 'sts.example.com' },
        }),
      ),
    );
    expect(badUrl.message).toContain('spec.tokenExchange.tokenUrl');
    const halfRef = await rejection(
      api.k.create(
        EXTAUTH,
        api.ns,
        authConfig('te-half-ref', {
          type: 'tokenExchange',
          tokenExchange: { ...authBlocks.tokenExchange, clientSecretRef: { name: 'sts' } },
        }),
      ),
    );
    expect(halfRef.message).toContain('spec.tokenExchange.clientSecretRef.key: Required value');
  });

  it('headerInjection has no inline value and rejects a header name with spaces or CR/LF', async () => {
    const stored = await api.k.create(
      EXTAUTH,
      api.ns,
      authConfig('hi-inline', {
        type: 'headerInjection',
        headerInjection: { ...authBlocks.headerInjection, value: 'sk-plaintext' },
      }),
    );
    expect(stored.spec.headerInjection).toEqual({ headerName: 'X-API-Key', valueSecretRef: secretRef('api', 'key') });
    for (const [label, headerName] of [
      ['space', 'X API Key'],
      ['crlf', 'X-Key\r\nHost: evil'],
    ]) {
      const err = await rejection(
        api.k.create(
          EXTAUTH,
          api.ns,
          authConfig(`hi-bad-${label}`, {
            type: 'headerInjection',
            headerInjection: { ...authBlocks.headerInjection, headerName },
          }),
        ),
      );
      expect(err.message).toContain('spec.headerInjection.headerName');
    }
  });

  it('awsSts validates region and role ARNs, defaults service/roleClaim/sessionDuration, needs one of claim|matcher', async () => {
    const stored = await api.k.create(
      EXTAUTH,
      api.ns,
      authConfig('sts-defaults', { type: 'awsSts', awsSts: { region: 'us-east-1' } }),
    );
    expect(stored.spec.awsSts).toEqual({
      region: 'us-east-1',
      service: 'aws-mcp',
      roleClaim: 'groups',
      sessionDuration: 3600,
      sessionNameClaim: 'sub',
    });
    const region = await rejection(
      api.k.create(EXTAUTH, api.ns, authConfig('sts-region', { type: 'awsSts', awsSts: { region: 'Europe' } })),
    );
    expect(region.message).toContain('spec.awsSts.region');
    const mapping = await rejection(
      api.k.create(
        EXTAUTH,
        api.ns,
        authConfig('sts-mapping', {
          type: 'awsSts',
          awsSts: { region: 'us-east-1', roleMappings: [{ roleArn: 'arn:aws:iam::123456789012:role/a' }] },
        }),
      ),
    );
    expect(mapping.message).toContain('a role mapping must set exactly one of claim and matcher');
    const duration = await rejection(
      api.k.create(
        EXTAUTH,
        api.ns,
        authConfig('sts-duration', { type: 'awsSts', awsSts: { region: 'us-east-1', sessionDuration: 60 } }),
      ),
    );
    expect(duration.message).toContain('spec.awsSts.sessionDuration');
  });

  it('embeddedAuthServer upstream providers carry exactly the block of their type', async () => {
    const err = await rejection(
      api.k.create(
        EXTAUTH,
        api.ns,
        authConfig('eas-mismatch', {
          type: 'embeddedAuthServer',
          embeddedAuthServer: {
            issuer: 'https://auth.example.com',
            upstreamProviders: [
              { name: 'corp', type: 'oauth2', oidcConfig: { issuerUrl: 'https://idp.example.com', clientId: 'c' } },
            ],
          },
        }),
      ),
    );
    expect(err.message).toContain('an upstream provider must set exactly the block matching its type');
  });

  it('rejects an unknown type', async () => {
    const err = await rejection(api.k.create(EXTAUTH, api.ns, authConfig('bearer', { type: 'bearerToken' })));
    expect(err.message).toContain('spec.type: Unsupported value: "bearerToken"');
  });
});
