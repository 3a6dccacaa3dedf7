import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { Aggregator } from '../../../src/gateway/aggregator.ts';
import { ResourceSubscriptions } from '../../../src/gateway/subscriptions.ts';
import { until } from '../../support/eventually.ts';
import { FakeBackend } from './fake-backend.ts';

function setup() {
  const aggregator = new Aggregator({ config: validateGatewayConfig({}).aggregation, coalesceMs: 0 });
  const docs = new FakeBackend('docs');
  const other = new FakeBackend('other');
  aggregator.add(docs);
  aggregator.add(other);
  docs.set('ready', {
    resources: [
      { uri: 'file:///a', name: 'a' },
      { uri: 'file:///b', name: 'b' },
    ],
  });
  other.set('ready', { resources: [{ uri: 'file:///c', name: 'c' }] });
  aggregator.flush();
  const notified: string[] = [];
  const subs = new ResourceSubscriptions({
    aggregator,
    logger: pino({ level: 'silent' }),
    notify: (session, uri) => notified.push(`${session}:${uri}`),
  });
  const sent = (b: FakeBackend) => b.requests.map((r) => `${r.method} ${String(r.params?.uri)}`);
  return { aggregator, docs, other, subs, notified, sent };
}

describe('ResourceSubscriptions', () => {
  it('subscribes the backend once per URI and fans its updates out to the subscribed sessions only', async () => {
    const { docs, other, subs, notified, sent } = setup();
    await subs.subscribe('s1', 'file:///a');
    await subs.subscribe('s2', 'file:///a');
    await subs.subscribe('s3', 'file:///c');
    expect(sent(docs)).toEqual(['resources/subscribe file:///a']);
    expect(sent(other)).toEqual(['resources/subscribe file:///c']);
    docs.updated('file:///a');
    docs.updated('file:///b');
    other.updated('file:///a');
    expect(notified).toEqual(['s1:file:///a', 's2:file:///a']);
  });

  it('unsubscribes the backend when the last session leaves, including by session end', async () => {
    const { docs, subs, notified, sent } = setup();
    await subs.subscribe('s1', 'file:///a');
    await subs.subscribe('s2', 'file:///a');
    await subs.unsubscribe('s1', 'file:///a');
    expect(sent(docs)).toEqual(['resources/subscribe file:///a']);
    await subs.dropSession('s2');
    expect(sent(docs)).toEqual(['resources/subscribe file:///a', 'resources/unsubscribe file:///a']);
    docs.updated('file:///a');
    expect(notified).toEqual([]);
  });

  it('subscribes again after the backend re-initializes', async () => {
    const { docs, subs, sent } = setup();
    await subs.subscribe('s1', 'file:///b');
    docs.set('reinitializing');
    docs.set('ready', { resources: [{ uri: 'file:///b', name: 'b' }] });
    await until('the subscribe sent again', () => sent(docs).length === 2);
    expect(sent(docs)).toEqual(['resources/subscribe file:///b', 'resources/subscribe file:///b']);
  });

  it('refuses URIs nobody serves and backends without subscribe support', async () => {
    const { other, subs } = setup();
    await expect(subs.subscribe('s1', 'file:///nowhere')).rejects.toThrow(/no backend serves/);
    other.capabilities = { resources: {} };
    await expect(subs.subscribe('s1', 'file:///c')).rejects.toThrow(/does not support resource subscriptions/);
  });
});
