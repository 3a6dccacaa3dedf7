// Outgoing headers on the gateway's real path: a static config that asks for a reserved header is refused at load
// with the field and the reason, and every header a config names (plaintext, from a mounted file, injected by the
// auth method) reaches a real backend on loopback on every request, through the one outgoing-auth builder.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { runToEnd } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpre-gw-headers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a static gateway config that asks for a reserved header', () => {
  it('is refused at load: exit 1, the field and the reason for each, and it never serves', async () => {
    const config = join(dir, 'reserved.yaml');
    await writeFile(
      config,
      stringify({
        backends: [
          {
            name: 'docs',
            url: 'http://127.0.0.1:1/mcp',
            headers: { Expect: '100-continue' },
            auth: { type: 'headerInjection', headerName: 'X-Forwarded-For', valueFile: '/etc/mcpre/secrets/k/v' },
          },
        ],
      }),
    );
    const run = await runToEnd(process.execPath, ['src/cli.ts', 'gateway', '--port', '0', '--config', config], {
      env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
      timeoutMs: 30_000,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('serving MCP');
    expect(run.stderr).toContain(`mcpre: ${config} is invalid:`);
    expect(run.stderr).toContain(
      'backends[0].auth.headerName: header "X-Forwarded-For" is reserved: hop-by-hop, Host, framing, forwarding (Forwarded, X-Forwarded-*) and MCP transport headers are set by the gateway, never by configuration',
    );
    expect(run.stderr).toContain('backends[0].headers.Expect: header "Expect" is reserved');
  });
});

describe('configured headers reach the backend', () => {
  const apiKey = `key-${randomUUID()}`;
  const bearer = `Bearer tok-${randomUUID()}`;
  let backend: FaultServer;
  let gateway: RunningGateway;

  beforeAll(async () => {
    backend = await startFaultServer();
    await writeFile(join(dir, 'api-key'), apiKey);
    await writeFile(join(dir, 'token'), bearer);
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          {
            name: 'secured',
            url: backend.url,
            headers: { 'X-Tenant': 'acme' },
            headerFiles: { 'X-Api-Key': join(dir, 'api-key') },
            auth: { type: 'headerInjection', headerName: 'Authorization', valueFile: join(dir, 'token') },
          },
        ],
      }),
      logger: pino({ level: 'silent' }),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
  });

  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
  });

  it('sends the plaintext, file and injected headers on every request the backend sees', async () => {
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
    const r = await client.callTool({ name: 'secured_echo', arguments: { text: 'hi' } });
    await client.close();
    expect(r.isError).not.toBe(true);
    const requests = backend.control.requests;
    expect(requests.map((q) => q.rpcMethod)).toEqual(
      expect.arrayContaining(['initialize', 'tools/list', 'tools/call']),
    );
    for (const q of requests) {
      expect(q.headers['x-tenant']).toBe('acme');
      expect(q.headers['x-api-key']).toBe(apiKey);
      expect(q.headers.authorization).toBe(bearer);
      expect(q.headers['x-forwarded-for']).toBeUndefined();
    }
  });
});
