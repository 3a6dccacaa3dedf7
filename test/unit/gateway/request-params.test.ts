// The params checks both eras' dispatch share before a request reaches the router.
import { describe, expect, it } from 'vitest';
import { completionParams, named } from '../../../src/gateway/router.ts';

describe('request params', () => {
  it('takes a completion whose ref is an object with a type, and refuses any other', () => {
    const ok = { ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a', value: 'b' } };
    expect(completionParams(ok)).toBe(ok);
    for (const ref of [undefined, 'ref/prompt', { name: 'p' }, { type: 1 }]) {
      expect(() => completionParams({ ref }), JSON.stringify(ref)).toThrow(
        'Invalid params: ref must be an object with a type',
      );
    }
  });

  it('takes a named request only when its name is a string', () => {
    expect(named({ name: 'x' }, 'name')).toEqual({ name: 'x' });
    expect(() => named({ uri: 3 }, 'uri')).toThrow('Invalid params: uri must be a string');
  });
});
