// `mcpre gateway` sends its buffered spans when it stops: a request answered moments before SIGTERM (well inside the
// batch processor's one-second delay) still reaches the collector.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servingUrl, spawnMcpre } from '../../support/child-process.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../../support/otlp-receiver.ts';

describe('a gateway stopping with spans buffered', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('flushes them on SIGTERM before it exits', async () => {
    const gateway = spawnMcpre(['gateway', '--port', '0'], {
      PATH: process.env.PATH,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'flushing-gateway',
    });
    try {
      const url = await servingUrl(gateway);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      expect(res.status).toBe(400);
      expect(receiver.spans).toEqual([]);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    // No waiting here: the span arrived before the process exited.
    const spans = receiver.spans.map((s) => [s.service, s.name, s.attributes['http.response.status_code']]);
    expect(spans.sort()).toEqual([
      ['flushing-gateway', 'POST /mcp', 400],
      ['flushing-gateway', 'authenticate', undefined],
    ]);
  });
});
