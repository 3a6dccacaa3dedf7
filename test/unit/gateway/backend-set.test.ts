// The gateway's backend set when one backend misbehaves: its factory throws, its start or its close rejects, its URL
// slips past every earlier check into the real session-actor backend. That backend is failed with the reason, in the
// statuses (/readyz) and the per-backend metric; the others keep going; nothing reaches the process as an unhandled
// rejection (vitest fails the run on one).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NO_OUTGOING_AUTH } from '../../../src/actors/mcp/auth/outgoing-auth.ts';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { Aggregator } from '../../../src/gateway/aggregator.ts';
import type { Backend } from '../../../src/gateway/backend.ts';
import { BackendSet, type DesiredBackend } from '../../../src/gateway/backend-set.ts';
import type { BackendSetup } from '../../../src/gateway/backend-setup.ts';
import { GatewayMetrics } from '../../../src/gateway/metrics.ts';
import { sessionActorBackendFactory } from '../../../src/gateway/session-actor-backend.ts';
import { FakeBackend } from './fake-backend.ts';

const logger = pino({ level: 'silent' });

function desired(name: string, url = `http://${name}.test/mcp`): DesiredBackend {
  const setup: BackendSetup = {
    info: { name, url, type: 'direct', authMethod: 'unauthenticated' },
    transport: 'streamable-http',
    outgoing: NO_OUTGOING_AUTH,
    caPem: undefined,
  };
  return { name, type: 'direct', result: { ok: true, setup }, fingerprint: `${name}:${url}` };
}

function backendSet(createBackend: (setup: BackendSetup) => Backend) {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  const aggregator = new Aggregator({ config: validateGatewayConfig({}).aggregation });
  const set = new BackendSet({ aggregator, metrics, logger, createBackend, active: () => true });
  const series = async () =>
    (await metrics.registry.getSingleMetric('mcpre_gateway_backend_state')?.get())?.values.map((v) => v.labels) ?? [];
  return { set, aggregator, series };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('BackendSet with a misbehaving backend', () => {
  it('fails the backend whose factory throws, once, and opens the others', async () => {
    let calls = 0;
    const { set, series } = backendSet((setup) => {
      if (setup.info.name === 'bad') {
        calls += 1;
        throw new Error('no protocol for this URL');
      }
      const b = new FakeBackend(setup.info.name);
      b.set('ready');
      return b;
    });
    await set.apply([desired('good'), desired('bad')]);
    set.refresh();
    set.refresh();
    expect(set.statuses()).toEqual([
      { name: 'good', type: 'direct', state: 'ready' },
      { name: 'bad', type: 'direct', state: 'failed', reason: 'cannot be set up: no protocol for this URL' },
    ]);
    expect(calls).toBe(1);
    expect(await series()).toContainEqual({
      backend: 'bad',
      state: 'failed',
      reason: 'cannot be set up: no protocol for this URL',
    });
    expect(await series()).toContainEqual({ backend: 'good', state: 'ready', reason: '' });

    // A changed entry (new fingerprint) gets a fresh chance.
    await set.apply([desired('good'), desired('bad', 'http://bad.test/other')]);
    expect(calls).toBe(2);
    await set.close();
  });

  it('fails the backend whose start rejects, and closes it', async () => {
    const closed: string[] = [];
    const { set, aggregator } = backendSet((setup) => {
      const b = new FakeBackend(setup.info.name);
      if (setup.info.name === 'bad') {
        b.start = async () => {
          throw new Error('remote hung up during initialize');
        };
        b.close = async () => {
          closed.push('bad');
          throw new Error('and close failed too');
        };
      } else b.set('ready');
      return b;
    });
    await set.apply([desired('good'), desired('bad')]);
    await until('bad failed', () => set.statuses().some((s) => s.state === 'failed'));
    expect(set.statuses()[1]).toEqual({
      name: 'bad',
      type: 'direct',
      state: 'failed',
      reason: 'cannot start: remote hung up during initialize',
    });
    await until('bad closed', () => closed.length === 1);
    expect(aggregator.backends.map((b) => b.info.name)).toEqual(['good']);
    // Removing it later closes nothing twice and rejects nothing.
    await set.apply([desired('good')]);
    expect(set.statuses().map((s) => s.name)).toEqual(['good']);
    await set.close();
  });

  it('survives a backend whose close rejects when it is removed or the set closes', async () => {
    const { set } = backendSet((setup) => {
      const b = new FakeBackend(setup.info.name);
      b.close = async () => {
        throw new Error(`${setup.info.name} will not close`);
      };
      return b;
    });
    await set.apply([desired('a'), desired('b')]);
    await expect(set.apply([desired('b')])).resolves.toBeUndefined();
    await expect(set.close()).resolves.toBeUndefined();
  });

  it('a URL that reaches the real session-actor backend unchecked fails that backend only', async () => {
    const { set } = backendSet((setup) => sessionActorBackendFactory(setup, logger));
    await set.apply([desired('broken', 'http://[::1')]);
    await until('broken failed', () => set.statuses()[0]?.state === 'failed');
    expect(set.statuses()[0]?.reason).toBe(
      'cannot start: backend URL "http://[::1" has "[::1" as its host, which is not a host name (letters, digits and hyphens, the last label starting with a letter), an IPv4 address or a bracketed IPv6 address',
    );
    await set.close();
  });
});

describe('BackendSet statuses', () => {
  it('carry the revision each backend agreed on, and none for a backend without a ready session', async () => {
    const { set } = backendSet((setup) => {
      const b = new FakeBackend(setup.info.name);
      if (setup.info.name === 'modern') {
        b.protocolVersion = '2026-07-28';
        b.set('ready');
      } else b.set('backoff');
      return b;
    });
    await set.apply([desired('modern'), desired('down')]);
    expect(set.statuses()).toEqual([
      { name: 'modern', type: 'direct', state: 'ready', protocolVersion: '2026-07-28' },
      { name: 'down', type: 'direct', state: 'backoff' },
    ]);
    await set.close();
  });
});
