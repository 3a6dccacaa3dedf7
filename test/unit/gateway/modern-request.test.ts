// How the gateway tells a 2026-07-28 request from a 2025-era one, and what it answers a malformed one (the spec's
// Streamable HTTP "Server Validation" and versioning rules), plus the `Mcp-Param-*` check of tools/call.
import { describe, expect, it } from 'vitest';
import { paramHeaderMismatch } from '../../../src/gateway/modern/param-headers.ts';
import { isModernRequest, parseModernRequest, withoutEnvelope } from '../../../src/gateway/modern/request.ts';

const V = '2026-07-28';
const meta = (version = V) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
  'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
});
const call = (name: string, extra: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: {}, _meta: meta(), ...extra },
});
const headers = (h: Record<string, string>) => h;

describe('isModernRequest', () => {
  it('is modern for a body that claims a revision, or a modern MCP-Protocol-Version header', () => {
    expect(isModernRequest({}, call('x'))).toBe(true);
    expect(isModernRequest({ 'mcp-protocol-version': V }, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe(true);
  });

  it('is legacy for initialize, a 2025 header, a GET of a session and a claim-less batch', () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } };
    expect(isModernRequest({}, init)).toBe(false);
    expect(isModernRequest({ 'mcp-protocol-version': '2025-11-25' }, { jsonrpc: '2.0', id: 2, method: 'x' })).toBe(
      false,
    );
    expect(isModernRequest({ 'mcp-session-id': 's' }, undefined)).toBe(false);
    expect(isModernRequest({}, [init])).toBe(false);
  });
});

describe('parseModernRequest', () => {
  const ok = headers({ 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'echo' });

  it('accepts a request whose headers mirror its body, with what the envelope says', () => {
    const parsed = parseModernRequest(
      ok,
      call('echo', { _meta: { ...meta(), 'io.modelcontextprotocol/logLevel': 'info' } }),
    );
    expect(parsed).toMatchObject({
      kind: 'request',
      request: {
        id: 1,
        method: 'tools/call',
        protocolVersion: V,
        clientCapabilities: { sampling: {} },
        clientInfo: { name: 'c', version: '1' },
        logLevel: 'info',
      },
    });
  });

  it('decodes a Base64 Mcp-Name before comparing it', () => {
    const name = 'héllo wörld';
    const encoded = `=?base64?${Buffer.from(name).toString('base64')}?=`;
    expect(parseModernRequest({ ...ok, 'mcp-name': encoded }, call(name)).kind).toBe('request');
  });

  it.each([
    ['a missing MCP-Protocol-Version', { 'mcp-method': 'tools/call', 'mcp-name': 'echo' }],
    ['a version header unlike _meta', { ...ok, 'mcp-protocol-version': '2025-11-25' }],
    ['a missing Mcp-Method', { 'mcp-protocol-version': V, 'mcp-name': 'echo' }],
    ['an Mcp-Method unlike the body', { ...ok, 'mcp-method': 'tools/list' }],
    ['a missing Mcp-Name', { 'mcp-protocol-version': V, 'mcp-method': 'tools/call' }],
    ['an Mcp-Name unlike the body', { ...ok, 'mcp-name': 'other' }],
  ])('refuses %s with 400 HeaderMismatch', (_what, h) => {
    expect(parseModernRequest(h, call('echo'))).toMatchObject({
      kind: 'refused',
      id: 1,
      refusal: { status: 400, code: -32020 },
    });
  });

  it('refuses a revision it does not speak with -32022, the supported and the requested version', () => {
    const body = { jsonrpc: '2.0', id: 'a', method: 'tools/list', params: { _meta: meta('2099-01-01') } };
    const h = { 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' };
    expect(parseModernRequest(h, body)).toEqual({
      kind: 'refused',
      id: 'a',
      refusal: {
        status: 400,
        code: -32022,
        message: expect.stringContaining('2099-01-01'),
        data: { supported: [V], requested: '2099-01-01' },
      },
    });
  });

  it('refuses a modern header without the envelope, and an envelope without client capabilities, with -32602', () => {
    const h = { 'mcp-protocol-version': V, 'mcp-method': 'tools/list' };
    expect(parseModernRequest(h, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).toMatchObject({
      refusal: { status: 400, code: -32602 },
    });
    const noCaps = { 'io.modelcontextprotocol/protocolVersion': V };
    expect(
      parseModernRequest(h, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: noCaps } }),
    ).toMatchObject({ refusal: { status: 400, code: -32602 } });
  });

  it('refuses batches and responses, and accepts notifications', () => {
    expect(parseModernRequest(ok, [call('echo')])).toMatchObject({ refusal: { status: 400, code: -32600 } });
    expect(parseModernRequest(ok, { jsonrpc: '2.0', id: 1, result: {} })).toMatchObject({
      refusal: { status: 400, code: -32600 },
    });
    expect(parseModernRequest(ok, { jsonrpc: '2.0', method: 'notifications/cancelled' })).toEqual({
      kind: 'notification',
    });
  });
});

describe('withoutEnvelope', () => {
  it('keeps the client’s other _meta keys and drops the envelope', () => {
    expect(withoutEnvelope({ name: 'x', _meta: { ...meta(), progressToken: 3 } })).toEqual({
      name: 'x',
      _meta: { progressToken: 3 },
    });
    expect(withoutEnvelope({ name: 'x', _meta: meta() })).toEqual({ name: 'x' });
  });
});

describe('paramHeaderMismatch', () => {
  const tool = {
    inputSchema: {
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        limit: { type: 'integer', 'x-mcp-header': 'Limit' },
        nested: { type: 'object', properties: { flag: { type: 'boolean', 'x-mcp-header': 'Flag' } } },
        query: { type: 'string' },
      },
    },
  };

  it('accepts headers equal to the marked arguments (numbers numerically, Base64 decoded)', () => {
    const args = { region: 'eü-1', limit: 42, nested: { flag: true }, query: 'q' };
    const h = {
      'mcp-param-region': `=?base64?${Buffer.from('eü-1').toString('base64')}?=`,
      'mcp-param-limit': '42.0',
      'mcp-param-flag': 'true',
    };
    expect(paramHeaderMismatch(tool, args, h)).toBeUndefined();
    expect(paramHeaderMismatch(tool, { query: 'only unmarked' }, {})).toBeUndefined();
  });

  it('names the header that is missing or differs', () => {
    expect(paramHeaderMismatch(tool, { region: 'us' }, {})).toContain('mcp-param-region');
    expect(paramHeaderMismatch(tool, { limit: 1 }, { 'mcp-param-limit': '2' })).toContain('mcp-param-limit');
    expect(paramHeaderMismatch(tool, { nested: { flag: false } }, { 'mcp-param-flag': 'true' })).toContain(
      'nested.flag',
    );
  });

  it('refuses a Base64 sentinel value with bad padding or characters, even when it would decode to the argument', () => {
    const hello = { region: 'Hello' };
    expect(paramHeaderMismatch(tool, hello, { 'mcp-param-region': '=?base64?SGVsbG8=?=' })).toBeUndefined();
    expect(paramHeaderMismatch(tool, hello, { 'mcp-param-region': '=?base64?SGVsbG8?=' })).toContain(
      'not valid Base64',
    );
    expect(paramHeaderMismatch(tool, hello, { 'mcp-param-region': '=?base64?SGVs!!!bG8=?=' })).toContain(
      'not valid Base64',
    );
  });
});
