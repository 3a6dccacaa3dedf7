// memoByText answers from memory for a text it saw recently and computes again once the text fell out of its bound.
import { describe, expect, it } from 'vitest';
import { memoByText, memoLastByOwner } from '../../../src/api/text-memo.ts';

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

describe('memoLastByOwner', () => {
  it('remembers the last `depth` texts of each owner, and `limit` owners', () => {
    const seen: string[] = [];
    const memo = memoLastByOwner<string>(2, 2);
    const ask = (owner: string, text: string) =>
      memo(owner, text, () => {
        seen.push(`${owner}:${text}`);
        return text.toUpperCase();
      });
    expect(ask('a', 'x')).toBe('X');
    ask('a', 'y');
    expect(ask('a', 'x')).toBe('X'); // still one of a's last two
    ask('a', 'z'); // pushes out y, the older of a's two
    ask('a', 'y');
    ask('b', 'x');
    ask('c', 'x'); // a third owner pushes out a, the least recently used
    ask('a', 'y');
    expect(seen).toEqual(['a:x', 'a:y', 'a:z', 'a:y', 'b:x', 'c:x', 'a:y']);
  });
});
