// Environment variable names for secrets: THV-0067's format, stable, and never shared by two different sources.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignEnvNames, authSecretEnvVar, headerSecretEnvVar, normalizeForEnvVar } from '../../../src/api/vmcp-env.ts';

describe('secret env var names', () => {
  it("follow THV-0067's example: TOOLHIVE_SECRET_HEADER_FORWARD_<HEADER>_<ENDPOINT>", () => {
    expect(headerSecretEnvVar('context7', 'X-API-Key')).toBe('TOOLHIVE_SECRET_HEADER_FORWARD_X_API_KEY_CONTEXT7');
    expect(headerSecretEnvVar('internal.search-v2', 'Authorization')).toBe(
      'TOOLHIVE_SECRET_HEADER_FORWARD_AUTHORIZATION_INTERNAL_SEARCH_V2',
    );
    expect(authSecretEnvVar('headerInjection', 'search-api-key')).toBe(
      'TOOLHIVE_HEADER_INJECTION_VALUE_SEARCH_API_KEY',
    );
    expect(authSecretEnvVar('tokenExchange', 'corp')).toBe('TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_CORP');
  });

  it('keeps base names when nothing collides, and suffixes every contender when two sources collide', () => {
    const names = assignEnvNames([
      { id: 'header:a-b:x-key', base: headerSecretEnvVar('a-b', 'X-Key') },
      { id: 'header:a.b:x-key', base: headerSecretEnvVar('a.b', 'X-Key') },
      { id: 'header:c:x-key', base: headerSecretEnvVar('c', 'X-Key') },
      { id: 'header:c:x-key', base: headerSecretEnvVar('c', 'X-Key') },
    ]);
    expect(names.get('header:c:x-key')).toBe('TOOLHIVE_SECRET_HEADER_FORWARD_X_KEY_C');
    const ab = names.get('header:a-b:x-key');
    const adotb = names.get('header:a.b:x-key');
    expect(ab).toMatch(/^TOOLHIVE_SECRET_HEADER_FORWARD_X_KEY_A_B_[0-9A-F]{8}$/);
    expect(adotb).toMatch(/^TOOLHIVE_SECRET_HEADER_FORWARD_X_KEY_A_B_[0-9A-F]{8}$/);
    expect(ab).not.toBe(adotb);
  });

  it('is a valid env var name, injective over ids, and independent of request order (property)', () => {
    const id = fc.tuple(
      fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?$/),
      fc.stringMatching(/^[A-Za-z0-9-_]{1,12}$/),
    );
    fc.assert(
      fc.property(fc.array(id, { minLength: 1, maxLength: 12 }), fc.nat(), (pairs, seed) => {
        const requests = pairs.map(([e, h]) => ({
          id: `header:${e}:${h.toLowerCase()}`,
          base: headerSecretEnvVar(e, h),
        }));
        const names = assignEnvNames(requests);
        // The same requests in another order (rotated by the seed) must give the same names.
        const k = seed % requests.length;
        const again = assignEnvNames([...requests.slice(k), ...requests.slice(0, k)].reverse());
        const ids = [...new Set(requests.map((r) => r.id))];
        const finals = ids.map((i) => names.get(i));
        expect(new Set(finals).size).toBe(ids.length);
        for (const i of ids) expect(again.get(i)).toBe(names.get(i));
        for (const n of finals) expect(n).toMatch(/^[A-Z_][A-Z0-9_]*$/);
      }),
    );
  });

  it('normalizes anything outside [A-Z0-9] to underscores', () => {
    expect(normalizeForEnvVar('x-api.key/1')).toBe('X_API_KEY_1');
  });
});
