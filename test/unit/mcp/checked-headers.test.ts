// Outgoing headers are registered with the redactor and checked against the header policy once per distinct value set:
// an unchanged set comes back as the same object, a changed one is registered and checked before it is sent, a value
// the redactor has forgotten is registered again, and a refused value is refused on every request.
import { describe, expect, it } from 'vitest';
import type { OutgoingAuth } from '../../../src/actors/mcp/auth/types.ts';
import { BackendError } from '../../../src/actors/mcp/errors.ts';
import { checkedHeaderSource } from '../../../src/actors/mcp/headers.ts';
import { SecretRedactor } from '../../../src/actors/mcp/redactor.ts';

function authOf(values: () => Record<string, string>): OutgoingAuth {
  return { method: 'headerInjection', headers: async () => values() };
}

const signal = new AbortController().signal;

describe('checkedHeaderSource', () => {
  it('returns the same checked object while the values stay the same, and a new one when they change', async () => {
    let token = 'Bearer first-token-value';
    const redactor = new SecretRedactor({ parent: null });
    const source = checkedHeaderSource(
      authOf(() => ({ authorization: token, 'x-tenant': 'acme-tenant' })),
      redactor,
    );
    const a = await source(signal);
    const b = await source(signal);
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(redactor.redact('echo first-token-value')).toBe('echo [redacted]');

    token = 'Bearer second-token-value';
    const c = await source(signal);
    expect(c).not.toBe(a);
    expect(c).toEqual({ authorization: 'Bearer second-token-value', 'x-tenant': 'acme-tenant' });
    expect(redactor.redact('echo second-token-value')).toBe('echo [redacted]');
  });

  it('registers a value again when the redactor has forgotten it since', async () => {
    const redactor = new SecretRedactor({ parent: null, maxValues: 2 });
    const source = checkedHeaderSource(
      authOf(() => ({ 'x-api-key': 'static-api-key-1' })),
      redactor,
    );
    await source(signal);
    redactor.add('other-secret-aaaa');
    redactor.add('other-secret-bbbb');
    expect(redactor.knows('static-api-key-1')).toBe(false);
    await source(signal);
    expect(redactor.knows('static-api-key-1')).toBe(true);
    expect(redactor.redact('key static-api-key-1')).toBe('key [redacted]');
  });

  it('refuses a value against the header policy on every request, after registering it', async () => {
    const redactor = new SecretRedactor({ parent: null });
    const source = checkedHeaderSource(
      authOf(() => ({ 'x-api-key': 'bad-secret\r\ninjected: 1' })),
      redactor,
    );
    for (let i = 0; i < 2; i++) {
      const err = await source(signal).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as Error).message).toContain('the value of header "x-api-key" contains a line break');
    }
    expect(redactor.knows('bad-secret\r\ninjected: 1')).toBe(true);
  });
});
