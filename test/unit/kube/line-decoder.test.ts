// The watch stream's line splitter: chunks cut anywhere, including inside a multi-byte UTF-8 character, give back
// exactly the lines that were sent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../../src/runtime/kube/line-decoder.ts';

const encoder = new TextEncoder();

function decodeAll(chunks: Uint8Array[]): { lines: string[]; rest: string } {
  const d = new LineDecoder();
  const lines = chunks.flatMap((c) => d.push(c));
  return { lines, rest: d.rest() };
}

// 2-, 3- and 4-byte characters (é U+00E9, € U+20AC, 😀 U+1F600), each between ASCII and next to another one.
const samples = {
  '2-byte': ['{"name":"café"}', '{"note":"éé"}'],
  '3-byte': ['{"name":"5 €"}', '{"note":"€€"}'],
  '4-byte': ['{"name":"😀 ok"}', '{"note":"😀😀"}'],
};

describe('LineDecoder', () => {
  for (const [width, lines] of Object.entries(samples)) {
    const bytes = encoder.encode(`${lines.join('\n')}\n`);

    it(`${width} characters split into two chunks at every byte offset`, () => {
      for (let cut = 0; cut <= bytes.length; cut++) {
        const out = decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
        expect(out, `cut at byte ${cut}`).toEqual({ lines, rest: '' });
      }
    });

    it(`${width} characters arriving one byte at a time`, () => {
      const out = decodeAll([...bytes].map((b) => Uint8Array.of(b)));
      expect(out).toEqual({ lines, rest: '' });
    });
  }

  it('any text cut into any chunks gives back its lines', () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replaceAll('\n', ' '));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const bytes = encoder.encode(lines.map((l) => `${l}\n`).join(''));
        const offsets = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...offsets].map((from, i) => bytes.subarray(from, [...offsets, bytes.length][i]));
        expect(decodeAll(chunks)).toEqual({ lines, rest: '' });
      }),
    );
  });

  it('keeps an unfinished last line apart, and reports a cut-off character as U+FFFD', () => {
    const d = new LineDecoder();
    expect(d.push(encoder.encode('one\ntw'))).toEqual(['one']);
    expect(d.push(encoder.encode('o\nthr'))).toEqual(['two']);
    expect(d.push(encoder.encode('é').subarray(0, 1))).toEqual([]);
    expect(d.rest()).toBe('thr\uFFFD');
  });
});
