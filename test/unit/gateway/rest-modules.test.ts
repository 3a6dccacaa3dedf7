// What a gateway loads is what it holds at rest: a gateway started from the command line, connected to one backend
// (server-everything) and done serving one client's initialize and tools/list, must not have loaded the heavy parts it
// does not use here: the SDK's Client and its protocol schemas (zod 3 and 4, Ajv, zod-to-json-schema), Cedar,
// Graphviz, the Kubernetes client, Redis, jose, the OpenTelemetry SDK, or commander (a plain `mcpre gateway` line is
// read by src/cli/gateway-args.ts). A fresh process
// (test/fixtures/gateway/rest-census.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningChild, servingUrl, spawnChild, waitForReadyz } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';

const census = join(import.meta.dirname, '../../fixtures/gateway/rest-census.ts');
const everything = join(import.meta.dirname, '../../fixtures/mcp/everything-loopback.ts');

/** Module paths (package/path under node_modules) that must not load at rest. */
const HEAVY = [
  '@modelcontextprotocol/sdk/dist/esm/client/',
  '@modelcontextprotocol/sdk/dist/esm/shared/protocol.js',
  '@modelcontextprotocol/sdk/dist/esm/validation/',
  '@modelcontextprotocol/sdk/dist/esm/types.js',
  'zod/',
  'zod-to-json-schema/',
  'ajv/',
  'ajv-formats/',
  '@cedar-policy/',
  '@viz-js/',
  '@kubernetes/',
  '@redis/',
  'jose/',
  '@opentelemetry/sdk-trace/',
  '@opentelemetry/exporter-',
  'commander/',
];

/** This environment without OTEL_* settings or an in-cluster API server. */
function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_')) out[k] = v;
  return { ...out, KUBERNETES_SERVICE_HOST: '', PORT: '0' };
}

async function mcpPost(url: URL, body: object, session?: string): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (session) Object.assign(headers, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
  return fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', ...body }) });
}

describe('a gateway at rest', () => {
  let dir: string;
  let backend: RunningChild;
  let gateway: RunningChild;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpre-rest-census-'));
    backend = spawnChild(process.execPath, [everything, 'streamableHttp'], { env: env() });
    const port = (await backend.waitForStdout(/MCPRE_LISTENING (\d+)/))[1];
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, `backends:\n  - name: bench\n    url: http://127.0.0.1:${port}/mcp\n`);
    gateway = spawnChild(process.execPath, [census, 'gateway', '--port', '0', '--config', config], { env: env() });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await backend?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has loaded none of the heavy optional parts after serving a client', { timeout: 60_000 }, async () => {
    const url = await servingUrl(gateway);
    await waitForReadyz(url, gateway);
    const init = await mcpPost(url, {
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'census', version: '1' } },
    });
    const session = init.headers.get('mcp-session-id') ?? undefined;
    await init.text();
    expect(init.status).toBe(200);
    await (await mcpPost(url, { method: 'notifications/initialized' }, session)).text();
    // The backend's tools reach the client: the backend session is initialized and its lists were fetched.
    await until('the backend tool is listed', async () =>
      (await (await mcpPost(url, { id: 2, method: 'tools/list' }, session)).text()).includes('bench_echo'),
    );

    gateway.child.kill('SIGUSR2');
    const { loaded } = JSON.parse((await gateway.waitForStdout(/MCPRE_CENSUS (.*)\n/))[1]!) as { loaded: string[] };
    // The census saw the gateway's own machinery (so a heavy part would have been seen too).
    for (const used of ['undici/', 'xstate/', 'pino/']) expect(loaded.some((m) => m.startsWith(used))).toBe(true);
    expect(loaded.filter((m) => HEAVY.some((heavy) => m.startsWith(heavy)))).toEqual([]);
  });
});
