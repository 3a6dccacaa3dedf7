// The shared URL rule, judged by the real API server: every row of the URL table, and a few hundred seeded strings
// built from URL pieces, are created (dry run) with the URL in each CRD field that carries the rule, and the API
// server's verdict must equal the runtime function's (src/api/http-url.ts). This is what makes "the CRD admits it"
// and "the gateway can call it" the same statement.
import { describe, expect, it } from 'vitest';
import { checkHttpUrl } from '../../../src/api/http-url.ts';
import {
  GROUP_VERSION,
  MCP_EXTERNAL_AUTH_CONFIG,
  MCP_REMOTE_ENDPOINT,
  type ResourceId,
  VIRTUAL_MCP_SERVER,
} from '../../../src/api/resources.ts';
import { useControlPlane } from '../../support/control-plane-suite.ts';
import { KubeApiError } from '../../support/kube-objects.ts';
import { URL_CASES, urlLikeStrings } from '../../support/url-cases.ts';
import { authConfig, directEndpoint, proxyEndpoint } from './fixtures.ts';

const api = useControlPlane({ namespace: 'url-rule' });

/** One CRD field that carries the rule, as an object to create with `url` in that field. */
interface Field {
  name: string;
  /** Empty means unset for this field, so the empty string is admitted and the runtime treats it as absent. */
  optional?: boolean;
  resource: ResourceId;
  body: (url: string) => object;
}

const vmcp = (oidc: Record<string, unknown>) => ({
  apiVersion: GROUP_VERSION,
  kind: 'VirtualMCPServer',
  metadata: { name: 'gw' },
  spec: {
    groupRef: 'team',
    incomingAuth: { type: 'oidc', oidc: { issuer: 'https://idp.example.com', audience: 'a', ...oidc } },
  },
});

const FIELDS: Field[] = [
  { name: 'spec.remoteURL', resource: MCP_REMOTE_ENDPOINT, body: (url) => directEndpoint('e', { remoteURL: url }) },
  {
    name: 'tokenExchange.tokenUrl',
    resource: MCP_EXTERNAL_AUTH_CONFIG,
    body: (url) => authConfig('a', { type: 'tokenExchange', tokenExchange: { tokenUrl: url, audience: 'x' } }),
  },
  {
    name: 'oidcConfig.kubernetes.issuer',
    optional: true,
    resource: MCP_REMOTE_ENDPOINT,
    body: (url) =>
      proxyEndpoint('e', { proxyConfig: { oidcConfig: { type: 'kubernetes', kubernetes: { issuer: url } } } }),
  },
  {
    name: 'oidcConfig.kubernetes.jwksUrl',
    optional: true,
    resource: MCP_REMOTE_ENDPOINT,
    body: (url) =>
      proxyEndpoint('e', { proxyConfig: { oidcConfig: { type: 'kubernetes', kubernetes: { jwksUrl: url } } } }),
  },
  {
    name: 'oidcConfig.inline.issuer',
    resource: MCP_REMOTE_ENDPOINT,
    body: (url) => proxyEndpoint('e', { proxyConfig: { oidcConfig: { type: 'inline', inline: { issuer: url } } } }),
  },
  {
    name: 'oidcConfig.inline.jwksUrl',
    optional: true,
    resource: MCP_REMOTE_ENDPOINT,
    body: (url) =>
      proxyEndpoint('e', {
        proxyConfig: { oidcConfig: { type: 'inline', inline: { issuer: 'https://idp.example.com', jwksUrl: url } } },
      }),
  },
  { name: 'VirtualMCPServer oidc.issuer', resource: VIRTUAL_MCP_SERVER, body: (url) => vmcp({ issuer: url }) },
  {
    name: 'VirtualMCPServer oidc.jwksUrl',
    optional: true,
    resource: VIRTUAL_MCP_SERVER,
    body: (url) => vmcp({ jwksUrl: url }),
  },
];

/** Whether the API server admits the object; a refusal must be the field's validation (422), nothing else. */
async function admitted(field: Field, url: string): Promise<boolean> {
  try {
    await api.k.create(field.resource, api.ns, field.body(url), { dryRun: true });
    return true;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 422) return false;
    throw err;
  }
}

describe('the API server and the runtime agree on the URL table', () => {
  it.each(FIELDS.map((f) => [f.name, f] as const))('%s', async (_name, field) => {
    const disagreements: string[] = [];
    for (const { url, ok: valid, what } of URL_CASES) {
      const ok = valid || (field.optional === true && url === '');
      const server = await admitted(field, url);
      const runtime = (field.optional === true && url === '') || checkHttpUrl(url).ok;
      if (server !== ok || runtime !== ok)
        disagreements.push(
          `${what} ${JSON.stringify(url.slice(0, 80))}: expected ${ok}, API server ${server}, runtime ${runtime}`,
        );
    }
    expect(disagreements).toEqual([]);
  });

  it('the refusal names the field and says what a URL must be, without echoing the value', async () => {
    let error: unknown;
    try {
      await api.k.create(MCP_REMOTE_ENDPOINT, api.ns, directEndpoint('e', { remoteURL: 'http://user:hunter2@a/' }), {
        dryRun: true,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeApiError);
    const message = (error as Error).message;
    expect(message).toContain('spec.remoteURL');
    expect(message).toContain('must be an absolute http:// or https:// URL');
    expect(message).not.toContain('hunter2');
  });

  it('fields where empty means unset accept the empty string; required ones refuse it', async () => {
    const empty = Object.fromEntries(await Promise.all(FIELDS.map(async (f) => [f.name, await admitted(f, '')])));
    expect(empty).toEqual({
      'spec.remoteURL': false,
      'tokenExchange.tokenUrl': false,
      'oidcConfig.kubernetes.issuer': true,
      'oidcConfig.kubernetes.jwksUrl': true,
      'oidcConfig.inline.issuer': false,
      'oidcConfig.inline.jwksUrl': true,
      'VirtualMCPServer oidc.issuer': false,
      'VirtualMCPServer oidc.jwksUrl': true,
    });
  });
});

describe('the API server and the runtime agree beyond the table', () => {
  it('on 400 seeded strings built from URL pieces (spec.remoteURL)', async () => {
    const field = FIELDS[0]!;
    const strings = [...new Set(urlLikeStrings(400, 36))];
    const disagreements: string[] = [];
    let accepted = 0;
    for (const url of strings) {
      const server = await admitted(field, url);
      const runtime = checkHttpUrl(url).ok;
      if (runtime) accepted += 1;
      if (server !== runtime) disagreements.push(`${JSON.stringify(url)}: API server ${server}, runtime ${runtime}`);
    }
    expect(disagreements).toEqual([]);
    // Both verdicts occur, so agreement is not agreement on "refuse everything".
    expect(accepted).toBeGreaterThan(10);
    expect(strings.length - accepted).toBeGreaterThan(10);
  });
});
