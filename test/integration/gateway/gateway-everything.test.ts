// The gateway in front of the reference server (`@modelcontextprotocol/server-everything`), run as child processes:
// one over Streamable HTTP and one over the legacy HTTP+SSE transport. An SDK client lists and calls through both.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { freePort } from '../../../src/control-plane/free-port.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { type RunningChild, runToEnd, spawnChild } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';

const inspectorCli = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector-cli/package.json')),
  'build/index.js',
);

/** `@modelcontextprotocol/inspector-cli` in CLI mode: prints the JSON result of one method call. */
function inspector(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Its package.json lookup checks a path relative to the working directory (1.0.3), so run it from its own folder.
  return runToEnd(process.execPath, [inspectorCli, ...args], { cwd: dirname(inspectorCli) });
}

const everythingEntry = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist/index.js',
);

async function startEverything(transport: 'streamableHttp' | 'sse'): Promise<{ server: RunningChild; port: number }> {
  const port = await freePort();
  const server = spawnChild(process.execPath, [everythingEntry, transport], {
    env: { PATH: process.env.PATH, PORT: String(port) },
  });
  await until(`server-everything ${transport} to listen on ${port}`, async () => {
    if (server.child.exitCode !== null) return true;
    return fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
  }).catch(async (err: unknown) => {
    await server.stop(0);
    throw new Error(`${String(err)}\n${server.stderr()}`);
  });
  if (server.child.exitCode !== null) throw new Error(`server-everything ${transport} exited: ${server.stderr()}`);
  return { server, port };
}

describe('gateway in front of server-everything', () => {
  const children: RunningChild[] = [];
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    const streamable = await startEverything('streamableHttp');
    children.push(streamable.server);
    const sse = await startEverything('sse');
    children.push(sse.server);
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'everything', url: `http://127.0.0.1:${streamable.port}/mcp` },
          { name: 'legacy', url: `http://127.0.0.1:${sse.port}/sse`, transport: 'sse' },
        ],
      }),
      logger: pino({ level: 'silent' }),
    });
    await until('both backends ready', () => gateway.backends().every((b) => b.state === 'ready'));
    expect(gateway.backends()).toEqual([
      { name: 'everything', type: 'direct', state: 'ready', protocolVersion: '2025-11-25' },
      { name: 'legacy', type: 'direct', state: 'ready', protocolVersion: '2025-11-25' },
    ]);
    client = new Client({ name: 'everything-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    for (const c of children) await c.stop();
  });

  it('lists the reference tools of both backends under their prefixes', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ['echo', 'get-sum', 'trigger-long-running-operation', 'get-tiny-image']) {
      expect(names).toContain(`everything_${n}`);
      expect(names).toContain(`legacy_${n}`);
    }
    expect(names).toEqual([...names].sort());
  });

  it('calls tools over both transports', async () => {
    const echo = await client.callTool({ name: 'everything_echo', arguments: { message: 'via streamable' } });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: via streamable' }]);
    const sum = await client.callTool({ name: 'legacy_get-sum', arguments: { a: 20, b: 22 } });
    expect(JSON.stringify(sum.content)).toContain('42');
    const image = await client.callTool({ name: 'everything_get-tiny-image', arguments: {} });
    expect((image.content as Array<{ type: string }>).some((c) => c.type === 'image')).toBe(true);
  });

  it('relays progress of a long-running operation', async () => {
    const progress: number[] = [];
    const result = await client.request(
      {
        method: 'tools/call',
        params: { name: 'everything_trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(JSON.stringify(result.content)).toContain('Long running operation completed');
    expect(progress).toEqual([1, 2, 3]);
  });

  it('serves the MCP inspector CLI: tools/list and tools/call', async () => {
    const list = await inspector([gateway.url.href, '--transport', 'http', '--method', 'tools/list']);
    expect(list.code, list.stderr).toBe(0);
    const tools = (JSON.parse(list.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(tools).toContain('everything_echo');
    expect(tools).toContain('legacy_get-sum');
    const call = await inspector([
      gateway.url.href,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'everything_echo',
      '--tool-arg',
      'message=from the inspector',
    ]);
    expect(call.code, call.stderr).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ content: [{ type: 'text', text: 'Echo: from the inspector' }] });
  });

  it('lists and reads resources, and gets prompts', async () => {
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const first = resources[0]!;
    const read = await client.readResource({ uri: first.uri });
    expect(read.contents[0]?.uri).toBe(first.uri);
    const { prompts } = await client.listPrompts();
    const simple = prompts.find((p) => p.name === 'everything_simple-prompt');
    expect(simple).toBeDefined();
    const got = await client.getPrompt({ name: 'everything_simple-prompt' });
    expect(got.messages.length).toBeGreaterThan(0);
  });
});
