// The `Mcp-Param-*` headers the gateway sends a 2026-07-28 backend on tools/call, checked against the spec's
// encoding table and against the gateway's own client-side check of the same headers.
import { describe, expect, it } from 'vitest';
import { markedParams, paramHeaders } from '../../../src/actors/mcp/modern/param-headers.ts';
import { paramHeaderMismatch } from '../../../src/gateway/modern/param-headers.ts';

const tool = {
  name: 'execute_sql',
  inputSchema: {
    type: 'object',
    properties: {
      region: { type: 'string', 'x-mcp-header': 'Region' },
      query: { type: 'string' },
      limit: { type: 'integer', 'x-mcp-header': 'Limit' },
      dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
      target: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
    },
  },
};

describe('paramHeaders', () => {
  it('finds the marked parameters, nested ones by their properties chain', () => {
    expect(markedParams(tool)).toEqual([
      { header: 'mcp-param-region', path: ['region'] },
      { header: 'mcp-param-limit', path: ['limit'] },
      { header: 'mcp-param-dry-run', path: ['dry'] },
      { header: 'mcp-param-zone', path: ['target', 'zone'] },
    ]);
  });

  it('mirrors each marked argument present, in the text the spec gives its type', () => {
    const args = { region: 'us-west1', query: 'SELECT 1', limit: -7, dry: false, target: { zone: 'b' } };
    expect(paramHeaders(tool, args)).toEqual({
      'mcp-param-region': 'us-west1',
      'mcp-param-limit': '-7',
      'mcp-param-dry-run': 'false',
      'mcp-param-zone': 'b',
    });
  });

  it.each([
    ['Hello, 世界', '=?base64?SGVsbG8sIOS4lueVjA==?='],
    [' padded ', '=?base64?IHBhZGRlZCA=?='],
    ['line1\nline2', '=?base64?bGluZTEKbGluZTI=?='],
    ['=?base64?literal?=', '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?='],
  ])('encodes %j as the spec table does', (value, header) => {
    expect(paramHeaders(tool, { region: value })).toEqual({ 'mcp-param-region': header });
  });

  it('sends no header for an absent argument, an unknown tool, or a tool without marks', () => {
    expect(paramHeaders(tool, { query: 'x', target: {} })).toEqual({});
    expect(paramHeaders(undefined, { region: 'x' })).toEqual({});
    expect(
      paramHeaders({ inputSchema: { type: 'object', properties: { region: { type: 'string' } } } }, { region: 'x' }),
    ).toEqual({});
  });

  it('builds headers that the gateway endpoint check accepts, and that check refuses them altered', () => {
    const args = { region: 'Hello, 世界', limit: 42, dry: true, target: { zone: ' z ' } };
    const headers = paramHeaders(tool, args);
    expect(paramHeaderMismatch(tool, args, headers)).toBeUndefined();
    expect(paramHeaderMismatch(tool, { ...args, limit: 43 }, headers)).toMatch(/mcp-param-limit/);
  });
});
