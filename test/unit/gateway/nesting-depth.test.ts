import { describe, expect, it } from 'vitest';
import { nestedDeeperThan } from '../../../src/gateway/nesting-depth.ts';

const nested = (depth: number, make: (inner: unknown) => unknown) => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = make(v);
  return v;
};

describe('nestedDeeperThan', () => {
  it('counts object and array levels exactly, the value itself being level 1', () => {
    const threeObjects = nested(3, (v) => ({ a: v }));
    const fourArrays = nested(4, (v) => [v]);
    expect(nestedDeeperThan(threeObjects, 3)).toBe(false);
    expect(nestedDeeperThan(fourArrays, 3)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: [1, 2, { c: null }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: [1, 2, { c: [] }] }, 3)).toBe(true);
  });

  it('finds the one deep branch among wide shallow ones, without recursing (no stack overflow)', () => {
    const wide = Array.from({ length: 10_000 }, (_, i) => ({ i }));
    expect(nestedDeeperThan({ wide, deep: nested(1_000_000, (v) => ({ v })) }, 1000)).toBe(true);
    expect(nestedDeeperThan({ wide }, 1000)).toBe(false);
  });
});
