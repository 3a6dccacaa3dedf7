// `mcpre up` as a person runs it: a process that prints the gateway URL; an MCP client lists and calls tools there;
// SIGTERM stops it cleanly. Node is the one running vitest (Node 24), so no npx wrapper sits between us and the signal.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningChild, spawnMcpre } from '../../support/child-process.ts';

let up: RunningChild | undefined;

afterEach(async () => {
  await up?.stop(0);
});

describe('mcpre up', () => {
  it('prints a gateway URL that serves the demo tools and a live view of its actors, and exits 0 on SIGTERM', async () => {
    up = spawnMcpre(['up', '--port', '0'], { ...process.env, KUBERNETES_SERVICE_HOST: '' });
    const url = (await up.waitForStdout(/serving MCP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/))[1] as string;

    // The endpoints of examples/up/demo.yaml were reconciled by the operator over the in-memory store.
    await up.waitForStdout(/endpoint alpha: Ready[\s\S]*endpoint beta: Ready/);
    const client = new Client({ name: 'smoke', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['alpha_echo', 'beta_echo', 'alpha_add']));
    const result = await client.callTool({ name: 'beta_add', arguments: { a: 1, b: 2 } });
    expect(result.structuredContent).toEqual({ sum: 3 });
    await client.close();

    // The live state-chart view shows both backend session actors, ready.
    const debug = /live state charts (http:\/\/127\.0\.0\.1:\d+\/debug\/actors)/.exec(up.stdout());
    expect(debug).not.toBeNull();
    const view = (await (await fetch(`${debug![1]}.json`)).json()) as {
      actors: Array<{ id: string; machine: string; value: unknown }>;
    };
    // The gateway's backend sessions and the operator's endpoint actors of the in-memory cluster, side by side.
    expect(view.actors.map((a) => [a.id, a.machine])).toEqual([
      ['backend:alpha', 'backendSession'],
      ['backend:beta', 'backendSession'],
      ['endpoint:default/alpha', 'endpoint'],
      ['endpoint:default/beta', 'endpoint'],
    ]);
    expect(JSON.stringify(view.actors[0]?.value)).toContain('ready');
    expect(JSON.stringify(view.actors[2]?.value)).toContain('ready');

    expect(await up.stop(15_000)).toBe(0);
  });
});
