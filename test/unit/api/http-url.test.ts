// The shared URL rule on its own: the table every implementation must agree on, messages that never show
// credentials, the CRDs carrying exactly the rule's CEL text on every URL field the runtime parses, and a property
// check that whatever the rule accepts, Node's URL parser accepts too (so no consumer can throw on it).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCrds, walkSchema } from '../../../scripts/generate/crds.ts';
import { parseBackendUrl } from '../../../src/actors/mcp/mcp-protocol.ts';
import { checkRemoteURL } from '../../../src/api/endpoint/validation.ts';
import { GatewayConfigError, validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { checkHttpUrl, HTTP_URL_PATTERN, httpUrlCelRule, MAX_URL_LENGTH } from '../../../src/api/http-url.ts';
import { ProbeUsageError, parseProbeOptions } from '../../../src/probe/probe-options.ts';
import { URL_CASES, urlLikeStrings } from '../../support/url-cases.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');

describe('checkHttpUrl against the shared table', () => {
  it.each(URL_CASES.map((c) => [c.what, c] as const))('%s', (_what, { url, ok }) => {
    const result = checkHttpUrl(url);
    expect(result.ok, result.ok ? 'accepted' : result.problem).toBe(ok);
    // A refusal always carries a sentence; an acceptance carries none.
    expect(result.ok ? '' : result.problem).toSatisfy((p: string) => (ok ? p === '' : p.length > 10));
  });

  it('gives the reason a person can act on', () => {
    const problem = (url: string) => {
      const r = checkHttpUrl(url);
      return r.ok ? 'accepted' : r.problem;
    };
    expect(problem('http://')).toContain('has no host');
    expect(problem('http://:80/')).toContain('has no host');
    expect(problem('http://a b/')).toContain('whitespace');
    expect(problem('http://[::1')).toContain('is not a host name');
    expect(problem('http://a:99999/')).toContain('"99999" as its port');
    expect(problem('https://%/')).toContain('"%" as its host');
    expect(problem('http://a/#x')).toContain('#fragment');
    expect(problem('ftp://a/')).toContain('does not start with http:// or https://');
    expect(problem('http://[::ffff:102:304]/')).toContain('IPv4-mapped');
    expect(problem('http://a/%zz')).toContain('%-encoded');
  });
});

describe('credentials in a URL never reach a message', () => {
  const secretUrls = [
    'http://user:hunter2@mcp.example.com/mcp',
    'https://hunter2@mcp.example.com/',
    'http://user:hunter2@/',
    'http://user:hunter2@a b/',
    'http://u:hunter2@[::1/',
    'http://u:p/hunter2@h:99999/',
  ];

  it.each(secretUrls)('%s', async (url) => {
    const result = checkHttpUrl(url);
    expect(result.ok).toBe(false);
    const messages = [
      result.ok ? '' : result.problem,
      checkRemoteURL(url)?.message ?? '',
      catchMessage(() => parseBackendUrl(url)),
      catchMessage(() => validateGatewayConfig({ backends: [{ name: 'b', url }] })),
      await parseProbeOptions(url, {}).then(
        () => '',
        (err: Error) => err.message,
      ),
    ];
    for (const m of messages) {
      expect(m).not.toBe('');
      expect(m).not.toContain('hunter2');
    }
  });
});

describe('every consumer applies the same rule', () => {
  it.each(URL_CASES.map((c) => [c.what, c] as const))('%s', async (_what, { url, ok }) => {
    expect(checkRemoteURL(url) === undefined).toBe(ok);
    expect(catchMessage(() => parseBackendUrl(url)) === '').toBe(ok);
    expect(catchMessage(() => validateGatewayConfig({ backends: [{ name: 'b', url }] })) === '').toBe(ok);
    const probed = await parseProbeOptions(url, {}).then(
      () => true,
      (err) => {
        expect(err).toBeInstanceOf(ProbeUsageError);
        return false;
      },
    );
    expect(probed).toBe(ok);
  });

  it('the config loader names the backend and the field', () => {
    let error: unknown;
    try {
      validateGatewayConfig({ backends: [{ name: 'github', url: 'https://user:pw@api.example.com/mcp' }] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayConfigError);
    expect((error as Error).message).toContain('backends[0].url (backend "github"): the URL "https://***@api');
    expect((error as Error).message).toContain('carries credentials');
  });
});

describe('the CRDs carry the rule', () => {
  // String fields whose name says URL but that the runtime never parses: no rule needed (and none added, so stored
  // objects are not refused for a field nobody reads).
  const notParsed = new Set([
    'MCPExternalAuthConfig spec.embeddedAuthServer.issuer',
    'MCPExternalAuthConfig spec.embeddedAuthServer.authorizationEndpointBaseUrl',
    'MCPExternalAuthConfig spec.embeddedAuthServer.upstreamProviders[].oidcConfig.issuerUrl',
    'MCPExternalAuthConfig spec.embeddedAuthServer.upstreamProviders[].oidcConfig.redirectUri',
    'MCPExternalAuthConfig spec.embeddedAuthServer.upstreamProviders[].oauth2Config.authorizationEndpoint',
    'MCPExternalAuthConfig spec.embeddedAuthServer.upstreamProviders[].oauth2Config.tokenEndpoint',
    'MCPExternalAuthConfig spec.embeddedAuthServer.upstreamProviders[].oauth2Config.redirectUri',
    'MCPRemoteEndpoint spec.proxyConfig.oidcConfig.resourceUrl',
    'MCPRemoteEndpoint spec.proxyConfig.oidcConfig.kubernetes.introspectionUrl',
    'MCPRemoteEndpoint spec.proxyConfig.oidcConfig.inline.introspectionUrl',
    'VirtualMCPServer status.url',
    // OTLP endpoints are ToolHive's host:port (or a URL), parsed by their own rule when tracing is on
    // (src/api/telemetry-env.ts, which reports a bad one as a condition).
    'MCPRemoteEndpoint spec.proxyConfig.telemetry.openTelemetry.endpoint',
    'VirtualMCPServer spec.telemetry.openTelemetry.endpoint',
  ]);
  const fields = loadCrds(repoRoot).flatMap(({ crd, version }) =>
    [...walkSchema(version.schema.openAPIV3Schema)]
      .filter(({ path, node }) => node.type === 'string' && /(url|uri|issuer|endpoint)$/i.test(path))
      .map(({ path, node, required }) => ({ key: `${crd.spec.names.kind} ${path}`, node, required })),
  );

  it('on exactly the URL fields the runtime parses', () => {
    const ruled = fields.filter((f) => !notParsed.has(f.key)).map((f) => f.key);
    expect(ruled).toEqual([
      'MCPExternalAuthConfig spec.tokenExchange.tokenUrl',
      'MCPRemoteEndpoint spec.remoteURL',
      'MCPRemoteEndpoint spec.proxyConfig.oidcConfig.kubernetes.issuer',
      'MCPRemoteEndpoint spec.proxyConfig.oidcConfig.kubernetes.jwksUrl',
      'MCPRemoteEndpoint spec.proxyConfig.oidcConfig.inline.issuer',
      'MCPRemoteEndpoint spec.proxyConfig.oidcConfig.inline.jwksUrl',
      'MCPRemoteEndpoint status.url',
      'VirtualMCPServer spec.incomingAuth.oidc.issuer',
      'VirtualMCPServer spec.incomingAuth.oidc.jwksUrl',
    ]);
    for (const f of fields.filter((f) => !notParsed.has(f.key))) {
      // A field that must hold a URL carries the strict rule; one where empty means "unset" the optional form.
      const wanted = httpUrlCelRule({ optional: !f.required });
      const rule = (f.node['x-kubernetes-validations'] ?? []).find((r) => r.rule === wanted);
      expect(rule, f.key).toBeDefined();
      // Forbidden errors do not repeat the value (which may carry user:password@); Invalid errors would.
      expect(rule?.reason, f.key).toBe('FieldValueForbidden');
      expect(f.node.maxLength, f.key).toBe(MAX_URL_LENGTH);
      expect(f.node.pattern, `${f.key}: the rule replaces the old pattern`).toBeUndefined();
    }
  });

  it('uses only regex syntax that RE2 and JavaScript read alike', () => {
    // No lookaround, backreferences, \s, \d, \w, \b, named groups or lazy quantifiers.
    expect(HTTP_URL_PATTERN).not.toMatch(/\(\?[=!<]|\\[1-9sSdDwWbB]|\(\?P?<|[*+?}]\?/);
  });
});

describe('whatever the rule accepts, Node parses', () => {
  it('for 5,000 strings built from URL pieces', () => {
    const strings = urlLikeStrings(5000, 11);
    const accepted = strings.filter((url) => checkHttpUrl(url).ok);
    for (const url of accepted) expect(() => new URL(url), url).not.toThrow();
    // The check means something only if the generator reaches accepted URLs too.
    expect(accepted.length).toBeGreaterThan(100);
  });
});

function catchMessage(fn: () => unknown): string {
  try {
    fn();
    return '';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
