// Outgoing credentials from environment variables reach the backend on every request and never appear in any log
// line (audit included), and a backend whose secret is missing is left out with a reason instead of being called
// without it.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { processEnvironment } from '../../../src/gateway/backend-setup.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { until } from '../../support/eventually.ts';

const apiKey = `key-${randomUUID()}`;
const bearer = `tok-${randomUUID()}`;

describe('gateway outgoing secrets', () => {
  let http: Server;
  let backendUrl: string;
  const seen: Array<{ apiKey: boolean; authorization: boolean }> = [];
  let gateway: RunningGateway;
  const logLines: string[] = [];

  beforeAll(async () => {
    // A backend that checks the credentials on every HTTP request (initialize, list, call) and records only whether
    // they matched, never the values.
    const transports = new Map<string, StreamableHTTPServerTransport>();
    http = createServer(async (req, res) => {
      seen.push({
        apiKey: req.headers['x-api-key'] === apiKey,
        authorization: req.headers.authorization === `Bearer ${bearer}`,
      });
      const id = req.headers['mcp-session-id'];
      let t = typeof id === 'string' ? transports.get(id) : undefined;
      if (!t) {
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid) => void transports.set(sid, created),
        });
        const server = new McpServer({ name: 'secret-backend', version: '1' });
        server.registerTool('ping', { description: 'pong' }, async () => ({
          content: [{ type: 'text', text: 'pong' }],
        }));
        await server.connect(created);
        t = created;
      }
      await t.handleRequest(req, res);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    backendUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;

    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          {
            name: 'secured',
            url: backendUrl,
            headerEnvVars: { 'X-Api-Key': 'TEST_GATEWAY_API_KEY' },
            auth: { type: 'headerInjection', headerName: 'Authorization', valueEnv: 'TEST_GATEWAY_BEARER' },
          },
          { name: 'unset', url: backendUrl, headerEnvVars: { 'X-Api-Key': 'TEST_GATEWAY_NOT_SET' } },
        ],
      }),
      environment: {
        ...processEnvironment,
        env: { TEST_GATEWAY_API_KEY: apiKey, TEST_GATEWAY_BEARER: `Bearer ${bearer}` },
      },
      logger: pino({ level: 'trace' }, sink),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
  });

  afterAll(async () => {
    await gateway?.close();
    await new Promise((r) => http?.close(r));
    http?.closeAllConnections();
  });

  it('sends the credentials on every request and leaves out the backend whose secret is missing', async () => {
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
    const r = await client.callTool({ name: 'secured_ping', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'pong' }]);
    await client.close();
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((s) => s.apiKey && s.authorization)).toBe(true);
    expect(gateway.backends()).toEqual([
      { name: 'secured', type: 'direct', state: 'ready', protocolVersion: '2025-11-25' },
      {
        name: 'unset',
        type: 'direct',
        state: 'excluded',
        reason: 'header X-Api-Key: environment variable TEST_GATEWAY_NOT_SET is not set',
      },
    ]);
  });

  it('writes no secret into any log line, at trace level', async () => {
    await gateway.close();
    expect(logLines.some((l) => l.includes('"component":"audit"'))).toBe(true);
    expect(logLines.some((l) => l.includes('backend left out'))).toBe(true);
    for (const line of logLines) {
      expect(line).not.toContain(apiKey);
      expect(line).not.toContain(bearer);
    }
  });
});
