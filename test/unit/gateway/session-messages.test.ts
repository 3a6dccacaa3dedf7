import { describe, expect, it } from 'vitest';
import {
  checkGetHeaders,
  checkPostHeaders,
  checkVersionHeader,
  containsInitialize,
  initializeParams,
  MAX_BATCH,
  negotiate,
  parseMessages,
} from '../../../src/gateway/sessions/messages.ts';

describe('2025-era session messages', () => {
  it('requires a POST to accept JSON and SSE and to send JSON', () => {
    const accept = 'application/json, text/event-stream';
    expect(checkPostHeaders({ accept, 'content-type': 'application/json; charset=utf-8' })).toBeUndefined();
    expect(checkPostHeaders({ accept: 'application/json', 'content-type': 'application/json' })?.status).toBe(406);
    expect(checkPostHeaders({ accept, 'content-type': 'text/plain' })?.status).toBe(415);
    expect(checkGetHeaders({ accept: 'text/event-stream' })).toBeUndefined();
    expect(checkGetHeaders({ accept: 'application/json' })?.status).toBe(406);
  });

  it('accepts no MCP-Protocol-Version header or one it speaks, and names the ones it speaks otherwise', () => {
    expect(checkVersionHeader({})).toBeUndefined();
    expect(checkVersionHeader({ 'mcp-protocol-version': '2025-06-18' })).toBeUndefined();
    expect(checkVersionHeader({ 'mcp-protocol-version': '1999-01-01' })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/Unsupported protocol version: 1999-01-01 \(supported versions: 2025-11-25, /),
    });
  });

  it('sorts a body into requests, notifications and responses, alone or batched', () => {
    const parsed = parseMessages([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      { jsonrpc: '2.0', id: 'a', result: {} },
      { jsonrpc: '2.0', id: 'b', error: { code: -1, message: 'no' } },
    ]);
    expect(parsed).toMatchObject({ batch: true, requests: [{ id: 1 }], notifications: [{}], responses: [{}, {}] });
    expect(parseMessages({ jsonrpc: '2.0', id: 2, method: 'tools/list' })).toMatchObject({ batch: false });
  });

  it('refuses what is not JSON-RPC, and batches over the limit', () => {
    for (const bad of [
      [],
      { id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: null, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 'ping', params: [1] },
      { jsonrpc: '2.0', id: 1 },
      'text',
    ]) {
      expect(parseMessages(bad), JSON.stringify(bad)).toMatchObject({ status: 400, code: -32700 });
    }
    const many = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' }));
    expect(parseMessages(many)).toMatchObject({ status: 400, code: -32600 });
  });

  it('recognises initialize, checks its params and negotiates a revision it speaks', () => {
    expect(containsInitialize({ jsonrpc: '2.0', id: 1, method: 'initialize' })).toBe(true);
    expect(containsInitialize([{ jsonrpc: '2.0', method: 'initialize' }])).toBe(false);
    const ok = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } };
    expect(initializeParams(ok)).toEqual(ok);
    expect(initializeParams({ ...ok, clientInfo: { name: 'c' } })).toMatch(/clientInfo/);
    expect(initializeParams({ ...ok, capabilities: [] })).toMatch(/capabilities/);
    expect(negotiate('2025-06-18')).toBe('2025-06-18');
    expect(negotiate('2026-07-28')).toBe('2025-11-25');
    expect(negotiate('nonsense')).toBe('2025-11-25');
  });
});
