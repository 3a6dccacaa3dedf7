// memoByText answers from memory for a text it saw recently and computes again once the text fell out of its bound.
import { describe, expect, it } from 'vitest';
import { memoByText } from '../../../src/api/text-memo.ts';

describe('memoByText', () => {
  it('computes once per text while the text is among the last `limit` used', () => {
    const seen: string[] = [];
    const memo = memoByText<{ n: number }>(2);
    const length = (t: string) =>
      memo(t, () => {
        seen.push(t);
        return { n: t.length };
      });
    const first = length('ab');
    expect(length('ab')).toBe(first);
    length('c');
    length('ab'); // used again: now the most recent
    length('def'); // pushes out 'c', the least recently used
    length('ab');
    length('c');
    expect(seen).toEqual(['ab', 'c', 'def', 'c']);
    expect(first).toEqual({ n: 2 });
  });
});
