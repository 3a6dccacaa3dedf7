// readSse over a body cut into chunks anywhere, also inside a multi-byte UTF-8 character: every event's data comes
// back exactly as sent.
import { describe, expect, it } from 'vitest';
import { readSse } from '../../../src/actors/mcp/http/sse.ts';

async function* chunksOf(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

async function dataOf(parts: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  await readSse(chunksOf(parts), 1 << 20, { onEvent: (e) => out.push(e.data) });
  return out;
}

const samples = { '2-byte': 'café é', '3-byte': '5 € €€', '4-byte': '😀 ok 😀😀' };

describe('readSse and UTF-8', () => {
  for (const [width, text] of Object.entries(samples)) {
    it(`${width} characters split into two chunks at every byte offset`, async () => {
      const bytes = new TextEncoder().encode(`event: message\ndata: ${text}\n\ndata: ${text}!\n\n`);
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(await dataOf([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at byte ${cut}`).toEqual([
          text,
          `${text}!`,
        ]);
      }
    });
  }
});
