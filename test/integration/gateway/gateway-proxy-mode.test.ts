// `mcpre gateway --proxy-mode` as the operator runs it in a proxy pod: configured only by MCPRE_PROXY_* variables,
// in front of one backend whose names pass through unprefixed, with OIDC for incoming tokens and Cedar policies
// deciding who may call what. A policy that does not parse stops the pod instead of serving without it.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyEnv } from '../../../src/api/endpoint/proxy-objects.ts';
import { freePort } from '../../../src/control-plane/free-port.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type OidcIssuer, startOidcIssuer } from '../../fixtures/mcp/oidc-issuer.ts';
import { type RunningChild, servingUrl, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';

describe('mcpre gateway --proxy-mode', () => {
  let idp: OidcIssuer;
  let backend: DemoBackend;
  const children: RunningChild[] = [];

  const token = (sub: string) => idp.token({ sub, team: 'docs' }, { audience: 'demo-proxy' });

  function spawnProxy(env: Record<string, string>): RunningChild {
    const proxy = spawnMcpre(['gateway', '--proxy-mode'], { PATH: process.env.PATH, ...env });
    children.push(proxy);
    return proxy;
  }

  const connect = async (url: URL, sub: string) => {
    const client = new Client({ name: 'proxy-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { authorization: `Bearer ${await token(sub)}` } },
      }),
    );
    return client;
  };

  beforeAll(async () => {
    idp = await startOidcIssuer();
    backend = await startDemoBackend({ label: 'remote' });
  });

  afterAll(async () => {
    for (const c of children) await c.stop(0);
    await backend?.close();
    await idp?.close();
  });

  const baseEnv = async () => ({
    [ProxyEnv.endpoint]: 'tools/demo-proxy',
    [ProxyEnv.remoteURL]: backend.url.href,
    [ProxyEnv.transport]: 'streamable-http',
    [ProxyEnv.port]: String(await freePort()),
    [ProxyEnv.oidc]: JSON.stringify({
      type: 'inline',
      inline: { issuer: idp.issuer, audience: 'demo-proxy', jwksUrl: idp.jwksUrl },
    }),
  });

  it('serves the remote unprefixed, shows and allows only what the Cedar policies permit, and audits denials', async () => {
    const proxy = spawnProxy({
      ...(await baseEnv()),
      [ProxyEnv.authz]: JSON.stringify({
        type: 'inline',
        inline: {
          policies: [
            'permit(principal, action == Action::"call_tool", resource == Tool::"echo") when { context.claim_team == "docs" };',
            'permit(principal == Client::"admin", action, resource);',
          ],
        },
      }),
    });
    const url = await servingUrl(proxy);
    await waitForReadyz(url, proxy);

    const alice = await connect(url, 'alice');
    expect((await alice.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    expect((await alice.callTool({ name: 'echo', arguments: { message: 'allowed' } })).content).toEqual([
      { type: 'text', text: 'allowed' },
    ]);
    await expect(alice.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).rejects.toThrow(
      /Forbidden: call_tool add is not allowed for alice/,
    );
    await expect(alice.getPrompt({ name: 'summarize', arguments: { text: 'x' } })).rejects.toThrow(/Forbidden/);
    await expect(alice.readResource({ uri: 'demo://remote/readme' })).rejects.toThrow(/Forbidden/);
    expect((await alice.listResources()).resources).toEqual([]);
    await alice.close();

    const admin = await connect(url, 'admin');
    expect((await admin.listTools()).tools.map((t) => t.name)).toEqual(['add', 'count', 'echo', 'fail']);
    expect((await admin.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ sum: 3 });
    await admin.close();

    const unauthenticated = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unauthenticated.status).toBe(401);
    await unauthenticated.body?.cancel();

    await proxy.stop();
    const audit = proxy
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"component":"audit"'))
      .map((l) => JSON.parse(l).audit as { client: string; target: string; outcome: string });
    expect(audit).toContainEqual(expect.objectContaining({ client: 'alice', target: 'add', outcome: 'denied' }));
    expect(audit).toContainEqual(expect.objectContaining({ client: 'admin', target: 'add', outcome: 'ok' }));
  });

  it('refuses to start with a policy that does not parse', async () => {
    const proxy = spawnProxy({
      ...(await baseEnv()),
      [ProxyEnv.authz]: JSON.stringify({ type: 'inline', inline: { policies: ['permit(principal, action'] } }),
    });
    expect(await proxy.exited).not.toBe(0);
    expect(proxy.stdout()).not.toMatch(/serving MCP/);
    expect(proxy.stderr()).toMatch(/Cedar policies do not parse/);
  });

  it('refuses to start when the endpoint asks for a reserved header, naming each one', async () => {
    const proxy = spawnProxy({
      ...(await baseEnv()),
      [ProxyEnv.headers]: JSON.stringify({ plaintext: { 'X-Forwarded-For': '10.0.0.1' } }),
      [ProxyEnv.externalAuth]: JSON.stringify({
        name: 'inject',
        type: 'headerInjection',
        headerName: 'Forwarded',
        valueFile: '/etc/mcpre/secrets/k/v',
      }),
    });
    expect(await proxy.exited).toBe(1);
    expect(proxy.stdout()).not.toMatch(/serving MCP/);
    expect(proxy.stderr()).toContain('backends[0].headers.X-Forwarded-For: header "X-Forwarded-For" is reserved');
    expect(proxy.stderr()).toContain('backends[0].auth.headerName: header "Forwarded" is reserved');
  });
});
