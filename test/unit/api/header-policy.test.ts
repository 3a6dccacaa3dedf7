// The one header rule: every place configuration names a header (config file, CRDs, probe) and the session as it
// sends applies it, so these cases hold for all of them.
import { describe, expect, it } from 'vitest';
import { headerNameProblem, headerValueProblem, isReservedHeaderName } from '../../../src/api/header-policy.ts';

const SECRET = 's3cr3t-value-never-repeated';

describe('header policy', () => {
  it.each(['X-Api-Key', 'Authorization', 'x-tenant', 'X-Forwarded', 'Forwarded-Not'])('%s may be set', (name) => {
    expect(headerNameProblem(name)).toBeUndefined();
  });

  it.each([
    'Host',
    'connection',
    'Keep-Alive',
    'Transfer-Encoding',
    'TE',
    'Trailer',
    'Trailers',
    'Upgrade',
    'HTTP2-Settings',
    'Expect',
    'Proxy-Authorization',
    'Content-Length',
    'Content-Type',
    'Accept',
    'Forwarded',
    'X-Forwarded-For',
    'x-forwarded-host',
    'Mcp-Session-Id',
    'MCP-Protocol-Version',
    'Last-Event-ID',
  ])('%s is reserved', (name) => {
    expect(isReservedHeaderName(name)).toBe(true);
    expect(headerNameProblem(name)).toEqual({
      reason: 'HeaderNameReserved',
      message: expect.stringMatching(/^is reserved: /),
    });
  });

  it.each(['bad name', 'x:y', '', 'é', 'a'.repeat(256)])('%j is not a header name', (name) => {
    expect(headerNameProblem(name)).toMatchObject({ reason: 'HeaderNameInvalid' });
  });

  it.each([
    ['line feed', `a${'\n'}X-Evil: 1`, 'contains a line break (CR or LF)'],
    ['carriage return', `a${'\r'}b`, 'contains a line break (CR or LF)'],
    ['NUL', 'a\u0000b', 'contains a control character (such as NUL)'],
    ['DEL', 'a\u007fb', 'contains a control character (such as NUL)'],
    ['non-Latin-1', 'a\u2028b', 'contains a character outside Latin-1'],
    ['too long', 'a'.repeat(8193), 'is longer than 8192 characters'],
    ['trailing space', 'a ', 'begins or ends with a space or tab (HTTP/2 forbids it, HTTP/1.1 strips it)'],
    ['trailing tab', 'a\t', 'begins or ends with a space or tab (HTTP/2 forbids it, HTTP/1.1 strips it)'],
  ])('refuses a value with a %s, without repeating it', (_what, value, words) => {
    const problem = headerValueProblem(`${SECRET}${value}`);
    expect(problem).toBe(words);
    expect(problem).not.toContain(SECRET);
  });

  it('accepts tabs, spaces and Latin-1 inside a value, not at its ends', () => {
    expect(headerValueProblem('Bearer a\tb é')).toBeUndefined();
    expect(headerValueProblem('')).toBeUndefined();
    expect(headerValueProblem(' Bearer a')).toBe(
      'begins or ends with a space or tab (HTTP/2 forbids it, HTTP/1.1 strips it)',
    );
  });
});
