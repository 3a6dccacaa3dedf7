// The gateway in front of the fault-injecting fixture: calls in flight while the backend drops every session all
// succeed after one shared re-initialization; a tool list change reaches the client as one list_changed; 5xx and
// malformed answers fail only the call they hit, naming the backend.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { ActorDirectory } from '../../../src/runtime/inspection/actor-directory.ts';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { until } from '../../support/eventually.ts';

describe('gateway in front of the fault-injecting fixture', () => {
  let fixture: FaultServer;
  let gateway: RunningGateway;
  let client: Client;
  /** The backend session actors as the live view sees them. */
  const directory = new ActorDirectory({ now: () => Date.now() });
  /** tools/list_changed announcements the gateway made to its clients. */
  let announced = 0;
  /** The backend session rests in its list region: no list fetch in flight. */
  const listsAtRest = () =>
    (directory.get('backend:fx')?.value as { session?: { ready?: { lists?: string } } } | undefined)?.session?.ready
      ?.lists === 'idle';

  beforeAll(async () => {
    fixture = await startFaultServer();
    gateway = await startGateway({
      config: validateGatewayConfig({ backends: [{ name: 'fx', url: fixture.url }] }),
      logger: pino({ level: 'silent' }),
      debug: { directory },
    });
    gateway.aggregator.onListChanged((kinds) => {
      if (kinds.has('tools')) announced += 1;
    });
    await until('ready', () => gateway.readiness().ready);
    client = new Client({ name: 'faults', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    await fixture?.close();
  });

  it('lists and calls, relaying logs and progress', async () => {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
      'fx_add',
      'fx_big',
      'fx_echo',
      'fx_log',
      'fx_slow',
    ]);
    expect((await client.callTool({ name: 'fx_add', arguments: { a: 2, b: 3 } })).content).toEqual([
      { type: 'text', text: '5' },
    ]);
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    const progress: number[] = [];
    await client.request({ method: 'tools/call', params: { name: 'fx_log', arguments: {} } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(logs).toEqual(['working on it']);
    expect(progress).toEqual([1]);
  });

  it('loses no call when the backend drops every session mid-burst, with one re-initialization', async () => {
    const initializesBefore = fixture.control.stats().initializes;
    const calls = Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'fx_add', arguments: { a: i, b: 1 } }));
    fixture.control.dropSessions();
    const more = Array.from({ length: 20 }, (_, i) =>
      client.callTool({ name: 'fx_add', arguments: { a: 100 + i, b: 1 } }),
    );
    const results = await Promise.all([...calls, ...more]);
    expect(results.map((r) => (r.content as Array<{ text: string }>)[0]?.text)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => String(i + 1)),
      ...Array.from({ length: 20 }, (_, i) => String(101 + i)),
    ]);
    expect(fixture.control.stats().initializes - initializesBefore).toBe(1);
  });

  it('announces one tools/list_changed when the backend changes its tools', async () => {
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
    const announcedBefore = announced;
    await fixture.control.setTools(['echo', 'add', 'fresh']);
    await until('list_changed', () => changes === 1);
    expect(announced - announcedBefore).toBe(1);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['fx_add', 'fx_echo', 'fx_fresh']);
    // A list_changed that changes nothing: the session fetches the tools again and the gateway announces nothing.
    const fetches = fixture.control.count({ rpcMethod: 'tools/list' });
    await fixture.control.sendListChanged('tools');
    await until(
      'the tools fetched again, and the fetch done',
      () => fixture.control.count({ rpcMethod: 'tools/list' }) > fetches && listsAtRest(),
    );
    gateway.aggregator.flush();
    expect(announced - announcedBefore).toBe(1);
    expect(changes).toBe(1);
  });

  it('fails only the call that met a 5xx or a malformed answer, naming the backend', async () => {
    fixture.control.failNext(1, 503, { rpcMethod: 'tools/call' });
    await expect(client.callTool({ name: 'fx_echo', arguments: { x: 1 } })).rejects.toThrow(/backend "fx"/);
    fixture.control.malformNext(1, 'json', { rpcMethod: 'tools/call' });
    await expect(client.callTool({ name: 'fx_echo', arguments: { x: 2 } })).rejects.toThrow(/backend "fx"/);
    expect((await client.callTool({ name: 'fx_echo', arguments: { x: 3 } })).content).toEqual([
      { type: 'text', text: '{"x":3}' },
    ]);
  });
});
