// A backend that repeats the credential it received in its errors must not make the gateway republish it. Real
// gateways (the production logger writing to a captured stream), a real MCP client, a backend on 127.0.0.1 that
// echoes every credential in every form (test/fixtures/mcp/echo-credential-server.ts) in initialize errors (HTTP and
// JSON-RPC), tools/call errors (HTTP 500, JSON-RPC error response, SSE error event), the GET stream and the legacy SSE
// transport, and a kube-apiserver for the status the gateway reports. Every place the gateway repeats text is searched
// for each credential and its encodings: log lines, /readyz, /debug/actors.json, /metrics, the errors the client gets,
// the VirtualMCPServer's status.backends and each endpoint's status.session. The credentials include tokens the
// gateway obtains by RFC 8693 token exchange at run time. With OIDC on, /readyz gives an anonymous caller only counts.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT, VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import { defaultLogger, type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { startStatusReporter } from '../../../src/gateway/vmcp-status-reporter.ts';
import { ActorDirectory } from '../../../src/runtime/inspection/actor-directory.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { type EchoCredentialServer, startEchoCredentialServer } from '../../fixtures/mcp/echo-credential-server.ts';
import { type OidcIssuer, startOidcIssuer } from '../../fixtures/mcp/oidc-issuer.ts';
import { startTokenServer, type TokenServer } from '../../fixtures/mcp/token-server.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { eventually } from '../../support/eventually.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';

const GV = 'toolhive.stacklok.dev/v1alpha1';
/** What the fixture's every error starts with: not secret, so it survives redaction and shows the path was taken. */
const ECHO_MARK = 'rejected credentials';

// Each credential has characters that base64 and percent-encoding change, so every form is a different string.
const secret = (prefix: string) => `${prefix}+/${randomBytes(18).toString('hex')}`;
const bearerA = secret('tA');
const keyB = secret('kB');
const passwordC = secret('pC');
const basicC = Buffer.from(`alice:${passwordC}`).toString('base64');
const keyC = secret('kC');
const keyD = secret('kD');
const clientSecret = secret('cs');

/** A value and the forms a server may repeat it in; the first characters only for values that are not JWTs. */
function formsOf(value: string): string[] {
  const base64 = Buffer.from(value).toString('base64').replace(/=+$/, '');
  const forms = [value, base64, Buffer.from(value).toString('base64url'), encodeURIComponent(value)];
  if (!value.startsWith('eyJ')) forms.push(value.slice(0, 14));
  return [...new Set(forms)];
}

/** Every place the gateway repeats text, by name, as collected during the test. */
const outputs: Array<{ where: string; text: string }> = [];
const logLines: string[] = [];

function leaksIn(needles: string[]): string[] {
  const found: string[] = [];
  for (const { where, text } of [...outputs, ...logLines.map((text) => ({ where: 'log line', text }))]) {
    for (const needle of needles) if (text.includes(needle)) found.push(`${where}: ${text.slice(0, 300)}`);
  }
  return found;
}

/** The error a client sees for a call, as text (message, code and data). */
async function callError(client: Client, name: string): Promise<string> {
  try {
    const result = await client.callTool({ name, arguments: {} });
    return `result: ${JSON.stringify(result)}`;
  } catch (err) {
    const e = err as { message?: string; code?: unknown; data?: unknown };
    return JSON.stringify({ message: e.message, code: e.code, data: e.data });
  }
}

describe('credentials a backend echoes stay out of everything the gateway repeats', () => {
  let echo: EchoCredentialServer;
  let sts: TokenServer;
  let idp: OidcIssuer;
  let cp: ControlPlane;
  let kube: KubeObjects;
  let kubeHttp: KubeHttp;
  let plain: RunningGateway;
  let oidc: RunningGateway;
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });

  const clientToken = (sub: string) => idp.token({ sub });

  beforeAll(async () => {
    echo = await startEchoCredentialServer();
    sts = await startTokenServer();
    idp = await startOidcIssuer();
    cp = await startControlPlane();
    kube = kubeObjects(cp.kc);
    kubeHttp = createKubeHttp(cp.kc, { connections: 2 });

    plain = await startGateway({
      config: validateGatewayConfig({
        backends: [
          {
            name: 'init-http',
            url: `${echo.base}/init-http/mcp`,
            auth: { type: 'headerInjection', headerName: 'Authorization', valueEnv: 'ECHO_BEARER_A' },
          },
          { name: 'init-rpc', url: `${echo.base}/init-rpc/mcp`, headerEnvVars: { 'X-Api-Key': 'ECHO_KEY_B' } },
          {
            name: 'legacy',
            url: `${echo.base}/legacy/sse`,
            transport: 'sse',
            headerEnvVars: { 'X-Api-Key': 'ECHO_KEY_D' },
          },
          {
            name: 'echo',
            url: `${echo.base}/ok/mcp`,
            headerEnvVars: { 'X-Api-Key': 'ECHO_KEY_C' },
            auth: { type: 'headerInjection', headerName: 'Authorization', valueEnv: 'ECHO_BASIC_C' },
          },
        ],
      }),
      environment: {
        env: {
          ECHO_BEARER_A: `Bearer ${bearerA}`,
          ECHO_KEY_B: keyB,
          ECHO_KEY_C: keyC,
          ECHO_BASIC_C: `Basic ${basicC}`,
          ECHO_KEY_D: keyD,
        },
        readFile: () => {
          throw new Error('no files in this test');
        },
      },
      logger: defaultLogger('trace', sink),
      debug: { directory: new ActorDirectory({ now: () => Date.now() }) },
    });

    const te = () => ({
      type: 'tokenExchange',
      tokenUrl: sts.url,
      audience: 'backend-aud',
      clientId: 'gateway',
      clientSecretEnv: 'ECHO_CLIENT_SECRET',
    });
    oidc = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'te-echo', url: `${echo.base}/ok/mcp`, auth: te() },
          { name: 'te-init', url: `${echo.base}/init-rpc/mcp`, auth: te() },
        ],
        incomingAuth: { type: 'oidc', issuer: idp.issuer, audience: 'mcpre-gateway' },
      }),
      environment: {
        env: { ECHO_CLIENT_SECRET: clientSecret },
        readFile: () => {
          throw new Error('no files in this test');
        },
      },
      logger: defaultLogger('trace', sink),
    });
  });

  afterAll(async () => {
    await plain?.close();
    await oidc?.close();
    await kubeHttp?.close();
    await kube?.close();
    await cp?.stop();
    await echo?.close();
    await sts?.close();
    await idp?.close();
  });

  it('initialize errors (HTTP and JSON-RPC, both transports) reach /readyz, the live view and metrics clean', async () => {
    const reasons = await eventually('each failing backend to report the echoed error', async () => {
      const byName = new Map(plain.backends().map((b) => [b.name, b]));
      const failing = ['init-http', 'init-rpc', 'legacy'].map((n) => byName.get(n));
      const ready = byName.get('echo')?.state === 'ready';
      return ready && failing.every((b) => b?.reason?.includes(ECHO_MARK)) ? failing : undefined;
    });
    for (const b of reasons) expect(['backoff', 'unavailable'], b?.name).toContain(b?.state);
    expect(echo.counts['init-http']).toBeGreaterThan(0);
    expect(echo.counts['init-rpc']).toBeGreaterThan(0);
    expect(echo.counts['legacy-http']).toBeGreaterThan(0);

    const base = new URL('/', plain.url);
    const readyz = await fetch(new URL('/readyz', base));
    // Anonymous incoming auth: the detail is for everyone, and must be clean.
    const readyzBody = await readyz.text();
    expect(readyzBody).toContain(ECHO_MARK);
    outputs.push({ where: '/readyz', text: readyzBody });
    const actors = await (await fetch(new URL('/debug/actors.json', base))).text();
    expect(actors).toContain(ECHO_MARK);
    outputs.push({ where: '/debug/actors.json', text: actors });
    outputs.push({ where: '/metrics', text: await (await fetch(new URL('/metrics', base))).text() });
    outputs.push({ where: 'backends()', text: JSON.stringify(plain.backends()) });
  });

  it('tools/call errors (HTTP 500, JSON-RPC error, SSE error event) reach the client clean', async () => {
    const client = new Client({ name: 'echo-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(plain.url));
    for (const tool of ['echo_http_error', 'echo_rpc_error', 'echo_sse_error']) {
      const error = await callError(client, tool);
      expect(error, tool).toContain(ECHO_MARK);
      outputs.push({ where: `client error of ${tool}`, text: error });
    }
    await client.close();
    expect(echo.counts['http-error']).toBe(1);
    expect(echo.counts['rpc-error']).toBe(1);
    expect(echo.counts['sse-error']).toBe(1);
    // The GET stream's unexpected error response went to the SDK's error handler, which logs it at debug.
    await eventually('the GET stream error to be logged', async () =>
      logLines.some((l) => l.includes('MCP client error') && l.includes(ECHO_MARK)) ? true : undefined,
    );
  });

  it('the VirtualMCPServer and endpoint statuses the gateway writes to the API server are clean', async () => {
    const ns = await cp.namespace('echoed-secrets');
    await kube.create(MCP_GROUP, ns, { apiVersion: GV, kind: 'MCPGroup', metadata: { name: 'team' }, spec: {} });
    await kube.create(VIRTUAL_MCP_SERVER, ns, {
      apiVersion: GV,
      kind: 'VirtualMCPServer',
      metadata: { name: 'gw' },
      spec: { groupRef: 'team' },
    });
    for (const name of ['init-http', 'init-rpc', 'legacy', 'echo']) {
      await kube.create(MCP_REMOTE_ENDPOINT, ns, {
        apiVersion: GV,
        kind: 'MCPRemoteEndpoint',
        metadata: { name },
        spec: { type: 'direct', remoteURL: `${echo.base}/${name}/mcp`, transport: 'streamable-http', groupRef: 'team' },
      });
    }
    const reporter = startStatusReporter({
      api: kubeHttp,
      namespace: ns,
      vmcpName: 'gw',
      identity: 'echoed-secrets-test',
      backends: () => plain.backends(),
      intervalMs: 60_000,
      logger: defaultLogger('trace', sink),
    });
    try {
      // The session retries with backoff, so its message alternates between the echoed error and "initialize in
      // progress": report until a report caught the error.
      const session = await eventually('the endpoint session with the echoed error', async () => {
        await reporter.tick();
        const e = await kube.get(MCP_REMOTE_ENDPOINT, ns, 'init-rpc');
        return e.status?.session?.message?.includes(ECHO_MARK) ? e.status.session : undefined;
      });
      expect(session.message).toContain(ECHO_MARK);
      const v = await kube.get(VIRTUAL_MCP_SERVER, ns, 'gw');
      expect(JSON.stringify(v.status?.backends)).toContain(ECHO_MARK);
      outputs.push({ where: 'VirtualMCPServer status', text: JSON.stringify(v.status) });
      for (const name of ['init-http', 'init-rpc', 'legacy', 'echo']) {
        const e = await kube.get(MCP_REMOTE_ENDPOINT, ns, name);
        outputs.push({ where: `MCPRemoteEndpoint ${name} status`, text: JSON.stringify(e.status) });
      }
    } finally {
      await reporter.stop();
    }
  });

  it('tokens obtained by token exchange stay out too, and /readyz detail needs a valid token with OIDC', async () => {
    const token = await clientToken('alice');
    const client = new Client({ name: 'echo-test-oidc', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(oidc.url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    await eventually('the tokenExchange backend to list its tools', async () =>
      oidc.aggregator.view.tools.some((t) => t.name === 'te-echo_http_error') ? true : undefined,
    );
    for (const tool of ['te-echo_http_error', 'te-echo_rpc_error', 'te-echo_sse_error']) {
      const error = await callError(client, tool);
      expect(error, tool).toContain(ECHO_MARK);
      outputs.push({ where: `client error of ${tool}`, text: error });
    }
    await client.close();
    expect(sts.issued.length).toBeGreaterThan(0);

    const readyzUrl = new URL('/readyz', oidc.url);
    const detailed = await eventually('the te-init reason on /readyz', async () => {
      const body = await (await fetch(readyzUrl, { headers: { authorization: `Bearer ${token}` } })).text();
      return body.includes(ECHO_MARK) ? body : undefined;
    });
    outputs.push({ where: '/readyz (with a token)', text: detailed });

    const anonymous = await fetch(readyzUrl);
    const anonymousBody = (await anonymous.json()) as Record<string, unknown>;
    expect([200, 503]).toContain(anonymous.status);
    expect(anonymousBody).toEqual({
      ready: anonymous.status === 200,
      backends: { total: 2, ready: expect.any(Number) },
      detail: expect.any(String),
    });
    const forged = await fetch(readyzUrl, { headers: { authorization: 'Bearer not-a-valid-token' } });
    expect(Object.keys((await forged.json()) as object).sort()).toEqual(['backends', 'detail', 'ready']);
    outputs.push({ where: '/readyz (anonymous)', text: JSON.stringify(anonymousBody) });
  });

  it('no credential, in any form, is in any of it, nor in any log line', async () => {
    await plain.close();
    await oidc.close();
    expect(logLines.some((l) => l.includes(ECHO_MARK))).toBe(true);
    const needles = [
      ...[bearerA, keyB, passwordC, basicC, keyC, keyD, clientSecret, `alice:${passwordC}`].flatMap(formsOf),
      ...sts.issued.flatMap(formsOf),
    ];
    expect(outputs.length).toBeGreaterThan(10);
    expect(leaksIn(needles)).toEqual([]);
  });
});
