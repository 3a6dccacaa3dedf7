// Who answers a request a backend sends to the client outside any call's response stream: the one client whose calls
// to that backend are in flight; nobody when there are several or none (refused, logged, counted, audited).
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../src/gateway/audit.ts';
import type { BackendInfo } from '../../../src/gateway/backend.ts';
import { GatewayMetrics } from '../../../src/gateway/metrics.ts';
import { type RelayCaller, ServerRequestRelays } from '../../../src/gateway/server-requests.ts';

const info: BackendInfo = {
  name: 'b',
  url: 'http://127.0.0.1:1/mcp?key=secret',
  authMethod: 'unauthenticated',
} as BackendInfo;
const sampling = { method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } };

function setup() {
  const audits: AuditRecord[] = [];
  const warnings: Array<Record<string, unknown>> = [];
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const relays = new ServerRequestRelays({ logger, metrics, audit: (r) => audits.push(r) });
  const count = async (labels: Record<string, string>) =>
    ((await metrics.serverRequests.get()).values ?? [])
      .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k as never] === value))
      .reduce((sum, v) => sum + v.value, 0);
  return { relays, audits, warnings, count, handler: relays.unrelatedHandler(info) };
}

function caller(session: string | undefined, capabilities: ClientCapabilities = { sampling: {} }) {
  const sent: string[] = [];
  const c: RelayCaller = {
    session,
    subject: `user-${session}`,
    capabilities: () => capabilities,
    send: async (request) => {
      sent.push(request.method);
      return { answeredBy: session };
    },
    notes: [],
  };
  return { caller: c, sent };
}

const signal = new AbortController().signal;

describe('ServerRequestRelays', () => {
  it('several calls of one client: the request goes to that client (the oldest call)', async () => {
    const { relays, handler, count } = setup();
    const first = caller('s1');
    const second = caller('s1');
    relays.track('b', first.caller);
    relays.track('b', second.caller);
    await expect(handler(sampling, signal)).resolves.toEqual({ answeredBy: 's1' });
    expect(first.sent).toEqual(['sampling/createMessage']);
    expect(second.sent).toEqual([]);
    expect(first.caller.notes).toEqual([{ method: 'sampling/createMessage', via: 'stream', outcome: 'relayed' }]);
    expect(await count({ outcome: 'relayed', via: 'stream' })).toBe(1);
  });

  it('calls of another backend do not count: only calls to the backend that asks', async () => {
    const { relays, handler } = setup();
    relays.track('other', caller('s2').caller);
    const mine = caller('s1');
    relays.track('b', mine.caller);
    await expect(handler(sampling, signal)).resolves.toEqual({ answeredBy: 's1' });
  });

  it('no call in flight: refused with its own audit line, logged and counted', async () => {
    const { relays, handler, audits, warnings, count } = setup();
    const done = relays.track('b', caller('s1').caller);
    done();
    await expect(handler(sampling, signal)).rejects.toMatchObject({
      code: -32600,
      message:
        'mcpre refused sampling/createMessage from backend "b": no call to backend "b" is in flight, so no client can answer it',
    });
    expect(audits).toEqual([
      expect.objectContaining({
        client: 'none',
        method: 'sampling/createMessage',
        backend: 'b',
        remoteUrl: 'http://127.0.0.1:1/mcp',
        outcome: 'refused',
      }),
    ]);
    expect(warnings.map((w) => [w.level, w.reason])).toEqual([[40, 'no-call']]);
    expect(await count({ outcome: 'refused', reason: 'no-call' })).toBe(1);
  });

  it('a request attached to a call is relayed only when the client declared the capability', async () => {
    const { relays, count } = setup();
    const without = caller('s1', {});
    await expect(relays.relayAttached('b', without.caller, sampling, signal)).rejects.toMatchObject({ code: -32601 });
    expect(without.sent).toEqual([]);
    const withIt = caller('s2', { sampling: {} });
    await expect(relays.relayAttached('b', withIt.caller, sampling, signal)).resolves.toEqual({ answeredBy: 's2' });
    expect(withIt.caller.notes).toEqual([{ method: 'sampling/createMessage', via: 'call', outcome: 'relayed' }]);
    expect(await count({ via: 'call', outcome: 'refused', reason: 'not-declared' })).toBe(1);
  });

  it('a 2026-07-28 caller without the capability: refused with -32021 naming it, and the call remembers it', async () => {
    const { relays, count } = setup();
    const modern = caller('s1', { elicitation: {} });
    modern.caller.perRequestCapabilities = true;
    await expect(relays.relayAttached('b', modern.caller, sampling, signal)).rejects.toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { sampling: {} } },
    });
    expect(modern.sent).toEqual([]);
    expect(modern.caller.missing).toBe('sampling');
    expect(await count({ via: 'call', outcome: 'refused', reason: 'not-declared' })).toBe(1);
  });

  it("what a backend is told for one call: the client's capabilities within the configured ones", () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    const relays = new ServerRequestRelays({
      logger: pino({ level: 'silent' }),
      metrics,
      audit: () => {},
      declared: { sampling: {}, elicitation: { form: {}, url: {} } },
    });
    expect(relays.declaredFor({ sampling: {}, roots: { listChanged: true }, elicitation: { form: {} } })).toEqual({
      sampling: {},
      elicitation: { form: {} },
    });
    expect(relays.declaredFor({})).toEqual({});
    expect(relays.declaredFor(undefined)).toBeUndefined();
  });

  it('methods outside the known three are counted as "other" (bounded labels) and relayed as asked', async () => {
    const { relays, handler, count } = setup();
    relays.track('b', caller('s1').caller);
    await handler({ method: `x/${'y'.repeat(50)}` }, signal);
    expect(await count({ method: 'other', outcome: 'relayed' })).toBe(1);
  });
});
