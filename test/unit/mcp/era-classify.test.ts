// The era decision from the answer to a `server/discover` probe (the spec's versioning section), and the envelope's
// header encoding (the spec's value-encoding table).
import { describe, expect, it } from 'vitest';
import { classifyDiscover } from '../../../src/actors/mcp/modern/classify.ts';
import { encodeHeaderValue, envelopeHeaders, withEnvelope } from '../../../src/actors/mcp/modern/envelope.ts';
import type { ExchangeResult } from '../../../src/actors/mcp/modern/exchange.ts';

const LEGACY = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const result = (status: number, body: object | undefined): ExchangeResult => ({
  status,
  answer: body ? ({ jsonrpc: '2.0', id: 0, ...body } as ExchangeResult['answer']) : undefined,
});
const error = (code: number, message = 'x', data?: unknown) => ({ error: { code, message, data } });

describe('classifyDiscover', () => {
  it('a DiscoverResult listing 2026-07-28 is modern, with the server described', () => {
    const c = classifyDiscover(
      result(200, {
        result: {
          supportedVersions: ['2026-07-28', '2025-11-25'],
          capabilities: { tools: { listChanged: true } },
          _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '1' } },
          instructions: 'hi',
        },
      }),
      LEGACY,
    );
    expect(c.decision).toMatchObject({ era: 'modern', version: '2026-07-28' });
    expect(c.info).toEqual({
      protocolVersion: '2026-07-28',
      transport: 'streamable-http',
      sessionId: undefined,
      serverInfo: { name: 's', version: '1' },
      capabilities: { tools: { listChanged: true } },
      instructions: 'hi',
    });
  });

  it.each([
    ['404 + -32601 (method not found)', result(404, error(-32601))],
    ['200 + -32601', result(200, error(-32601))],
    ['400 with no body', result(400, undefined)],
    ['400 + a 2025-era error (-32000 "Server not initialized")', result(400, error(-32000))],
    ['405 with no body', result(405, undefined)],
    ['200 + a 2025-era error', result(200, error(-32000))],
    ['a result that is not a DiscoverResult', result(200, { result: {} })],
    [
      'a DiscoverResult listing only 2025-era revisions',
      result(200, { result: { supportedVersions: ['2025-11-25'] } }),
    ],
    [
      'UnsupportedProtocolVersion offering 2025-era revisions',
      result(400, error(-32022, 'Unsupported protocol version', { supported: ['2025-06-18'] })),
    ],
  ])('%s is legacy: fall back to initialize', (_name, answer) => {
    expect(classifyDiscover(answer, LEGACY).decision.era).toBe('legacy');
  });

  it('UnsupportedProtocolVersion offering nothing we speak is final', () => {
    expect(() => classifyDiscover(result(400, error(-32022, 'no', { supported: ['2027-01-01'] })), LEGACY)).toThrow(
      expect.objectContaining({ kind: 'unsupportedProtocol', retryable: false, supportedVersions: ['2027-01-01'] }),
    );
  });

  it('a modern header-validation error is a modern server refusing us: no fallback, no retry of the same', () => {
    expect(() => classifyDiscover(result(400, error(-32020, 'Header mismatch')), LEGACY)).toThrow(
      expect.objectContaining({ kind: 'protocol', retryable: false }),
    );
  });

  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [429, 'http'],
    [503, 'http'],
  ])('HTTP %i decides nothing: a retryable %s failure', (status, kind) => {
    expect(() => classifyDiscover(result(status, undefined), LEGACY)).toThrow(
      expect.objectContaining({ kind, retryable: true, status }),
    );
  });
});

describe('the per-request envelope', () => {
  it('puts revision, capabilities and identity in _meta, keeping the caller’s own keys', () => {
    const params = withEnvelope(
      { name: 't', _meta: { progressToken: 7 } },
      { protocolVersion: '2026-07-28', clientCapabilities: { sampling: {} }, clientInfo: { name: 'c', version: '1' } },
    );
    expect(params).toEqual({
      name: 't',
      _meta: {
        progressToken: 7,
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
        'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
      },
    });
  });

  it('mirrors method and name into headers', () => {
    expect(envelopeHeaders('tools/call', { name: 'get_weather' }, '2026-07-28')).toEqual({
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'get_weather',
    });
    expect(envelopeHeaders('resources/read', { uri: 'file:///a b' }, '2026-07-28')['mcp-name']).toBe('file:///a b');
    expect(envelopeHeaders('tools/list', {}, '2026-07-28')).not.toHaveProperty('mcp-name');
  });

  it.each([
    ['us-west1', 'us-west1'],
    ['Hello, 世界', '=?base64?SGVsbG8sIOS4lueVjA==?='],
    [' padded ', '=?base64?IHBhZGRlZCA=?='],
    ['line1\nline2', '=?base64?bGluZTEKbGluZTI=?='],
    ['=?base64?literal?=', '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?='],
  ])('encodes %j as the spec table says', (value, encoded) => {
    expect(encodeHeaderValue(value)).toBe(encoded);
  });
});
