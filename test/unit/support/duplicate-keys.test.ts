// The duplicate-detecting JSON reader the log tests rely on: it must see what JSON.parse hides.
import { describe, expect, it } from 'vitest';
import { duplicateKeys } from '../../support/duplicate-keys.ts';

describe('duplicateKeys', () => {
  it('names a key that occurs twice in one object, which JSON.parse silently collapses', () => {
    const line = '{"level":30,"component":"gateway","backend":"a","component":"audit","msg":"x"}';
    expect((JSON.parse(line) as { component: string }).component).toBe('audit');
    expect(duplicateKeys(line)).toEqual(['component']);
  });

  it('names nested duplicates by path, and keys that differ only by escaping', () => {
    expect(duplicateKeys('{"audit":{"a":1,"b":[{"c":1,"c":2}],"\\u0061":3}}')).toEqual(['audit.b[0].c', 'audit.a']);
  });

  it('accepts the same key in different objects, and every JSON value', () => {
    expect(duplicateKeys('{"a":{"k":1},"b":{"k":"x\\"y"},"c":[true,false,null,-1.5e3,"",{}],"d":[]}')).toEqual([]);
  });

  it('refuses what is not JSON', () => {
    expect(() => duplicateKeys('{"a":1,}')).toThrow(/not JSON/);
    expect(() => duplicateKeys('{"a":1} x')).toThrow(/trailing/);
    expect(() => duplicateKeys('{"a":01}')).toThrow(/not JSON/);
  });
});
