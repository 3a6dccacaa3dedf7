// The gateway under a replica gate: on standby it opens only proxy-type backends and is not ready; once active it
// opens the direct backends too and reports ready; back on standby it closes them again.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type ReplicaGate, type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { until } from '../../support/eventually.ts';

class ManualGate implements ReplicaGate {
  active = false;
  readonly #listeners = new Set<() => void>();
  isActive = () => this.active;
  onChange(l: () => void) {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  set(active: boolean) {
    this.active = active;
    for (const l of this.#listeners) l();
  }
}

describe('gateway replica gate', () => {
  let direct: DemoBackend;
  let proxy: DemoBackend;
  let gateway: RunningGateway;
  const gate = new ManualGate();

  beforeAll(async () => {
    direct = await startDemoBackend({ label: 'direct' });
    proxy = await startDemoBackend({ label: 'proxy' });
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'remote', url: direct.url.href, type: 'direct' },
          { name: 'viaproxy', url: proxy.url.href, type: 'proxy' },
        ],
        readiness: 'all',
      }),
      logger: pino({ level: 'silent' }),
      replica: gate,
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.allSettled([direct?.close(), proxy?.close()]);
  });

  it('on standby: proxy backends only, no session to the direct backend, /readyz 503', async () => {
    await until('proxy backend', () => gateway.backends().find((b) => b.name === 'viaproxy')?.state === 'ready');
    expect(gateway.backends().find((b) => b.name === 'remote')).toMatchObject({ state: 'standby' });
    expect(direct.sessionCount()).toBe(0);
    const res = await fetch(new URL('/readyz', gateway.url));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ready: false, replica: 'standby' });
  });

  it('when active: opens the direct backend, serves its tools, reports ready; on standby again closes it', async () => {
    gate.set(true);
    await until('ready', () => gateway.readiness().ready);
    expect(direct.sessionCount()).toBe(1);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(gateway.url));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('remote_echo');

    gate.set(false);
    await until('direct session closed (DELETE)', () => direct.sessionCount() === 0);
    expect(gateway.readiness().ready).toBe(false);
    await expect(client.callTool({ name: 'remote_echo', arguments: { message: 'x' } })).rejects.toThrow(/Unknown tool/);
    const still = await client.callTool({ name: 'viaproxy_echo', arguments: { message: 'proxy still served' } });
    expect(still.content).toEqual([{ type: 'text', text: 'proxy still served' }]);
    await client.close();
  });
});
