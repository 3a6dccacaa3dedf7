// yamlRoundTrip claims to know what parsing `# comment` + stringify(value) gives without parsing: checked against the
// yaml package on generated values, with the strings YAML treats specially (booleans, nulls, numbers in other bases,
// indicators, comments, anchors) mixed in; and values it cannot vouch for are answered with undefined.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { yamlRoundTrip } from '../../../src/api/yaml-round-trip.ts';

const tricky = fc.constantFrom(
  ...['yes', 'no', 'on', 'off', '~', 'null', 'Null', 'true', 'False', '.inf', '-.Inf', '.nan', '0o17', '0x1f', '1e3'],
  ...['+1', '010', '1_000', '12:30', '2026-01-01', ' a', 'a ', '', '- a', '#x', 'a #b', '&a', '*a', '!x', '%x', '@x'],
  ...['`x', '"', "'", '{a}', '[a]', 'a: b', '? x', '|', '>', '---', '...', '<<', '=', '\\', '\\n', '"a\\tb"'],
);
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const indicators = fc.string({ unit: fc.constantFrom(...' -:#&*!|>\'"%@`{}[],?~.\\0123456789abefilnorstuxyETNF') });
const safeString = fc.oneof(tricky, printable, indicators);
const safeNumber = fc
  .oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
  .filter((n) => !Object.is(n, -0));
const safeValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    safeString,
    safeNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(safeString, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;
const safeDocument = fc.dictionary(safeString, safeValue, { maxKeys: 6, noNullPrototype: true });

describe('yamlRoundTrip', () => {
  it('gives exactly what the yaml package parses back from the written text', () => {
    fc.assert(
      fc.property(safeDocument, printable, (doc, comment) => {
        const text = `# ${comment}\n${stringify(doc, { lineWidth: 0 })}`;
        expect(yamlRoundTrip(doc, comment)).toStrictEqual(parse(text, { prettyErrors: true }) ?? {});
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves out keys whose value is undefined, as the writer does', () => {
    const doc = { a: 1, b: undefined, c: { d: undefined, e: 'x' } };
    expect(yamlRoundTrip(doc)).toStrictEqual({ a: 1, c: { e: 'x' } });
    expect(parse(stringify(doc, { lineWidth: 0 }))).toStrictEqual({ a: 1, c: { e: 'x' } });
  });

  it('does not vouch for what YAML may change or cannot write plainly', () => {
    const unsafe: unknown[] = [
      { '\ufeffx': 1 }, // a byte-order mark at the start of a key is dropped by the reader
      { a: 'line\nbreak' },
      { a: 'caf\u00e9' },
      { a: 'tab\there' },
      { a: -0 },
      { a: Number.NaN },
      { a: [1, undefined] },
      { a: new Date(0) },
      { a: () => 1 },
      { a: 10n },
      { ['__proto__']: 1 },
      Object.assign(Object.create(null), { a: 1 }),
      // biome-ignore lint/suspicious/noSparseArray: a hole is what is checked
      { a: [1, , 2] },
    ];
    for (const value of unsafe) expect(yamlRoundTrip(value), String(Object.keys(value as object))).toBeUndefined();
    expect(yamlRoundTrip({ a: 1 }, 'a comment\nb: 2')).toBeUndefined();
  });
});
