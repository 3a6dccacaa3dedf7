// An answer whose result a backend sent goes to the client as the backend's bytes under the client's id
// (exchange.ts messageJson over transports/raw-json.ts); anything else is serialised as before. The scanner that
// finds the result's text must agree with JSON.parse on every shape of valid JSON.
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import {
  keepJsonText,
  resultJsonText,
  topLevelValue,
  withFields,
} from '../../../src/actors/mcp/transports/raw-json.ts';
import { messageJson, sseEvent } from '../../../src/gateway/exchange.ts';
import { seededRng } from '../../../src/runtime/random.ts';

/** A result parsed from `messageText`, kept as the transport keeps it. */
function kept(messageText: string): Record<string, unknown> {
  const result = (JSON.parse(messageText) as { result: Record<string, unknown> }).result;
  keepJsonText(result, messageText);
  return result;
}

const BACKEND = '{"result":{"content":[{"type":"text","text":"caf\\u00e9"}],"n":1.0},"jsonrpc":"2.0","id":-7}';
const RESULT_TEXT = '{"content":[{"type":"text","text":"caf\\u00e9"}],"n":1.0}';

describe('the answer to a relayed result', () => {
  it('carries the backend bytes of the result under the client’s string or number id', () => {
    for (const id of ['client-1', 42, 0, 'quote"d']) {
      const text = messageJson({ jsonrpc: '2.0', id, result: kept(BACKEND) });
      expect(text).toBe(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${RESULT_TEXT}}`);
      expect(JSON.parse(text)).toEqual({
        jsonrpc: '2.0',
        id,
        result: { content: [{ type: 'text', text: 'café' }], n: 1 },
      });
    }
  });

  it('is serialised again when the result was not kept, was replaced, or the message is not a plain answer', () => {
    const result = kept(BACKEND);
    const plain = { content: [], n: 1 };
    expect(messageJson({ jsonrpc: '2.0', id: 1, result: plain })).toBe(
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: plain }),
    );
    // A result somebody changed is a new object: its own serialisation goes out, not the backend's text.
    const changed = { ...result, _meta: { extra: true } };
    expect(JSON.parse(messageJson({ jsonrpc: '2.0', id: 1, result: changed })).result._meta).toEqual({ extra: true });
    expect(messageJson({ jsonrpc: '2.0', id: 1, result, more: 1 })).toBe(
      JSON.stringify({ jsonrpc: '2.0', id: 1, result, more: 1 }),
    );
    const error = { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'x' } };
    expect(messageJson(error)).toBe(JSON.stringify(error));
    expect(messageJson([{ jsonrpc: '2.0', id: 1, result }])).toBe(JSON.stringify([{ jsonrpc: '2.0', id: 1, result }]));
  });

  it('no kept text for a batch body or for a value that is not an object', () => {
    const batch = '[{"jsonrpc":"2.0","id":1,"result":{"a":1}}]';
    const result = (JSON.parse(batch) as Array<{ result: object }>)[0]!.result;
    keepJsonText(result, batch);
    expect(resultJsonText(result)).toBeUndefined();
    expect(resultJsonText('text')).toBeUndefined();
    expect(resultJsonText(null)).toBeUndefined();
  });
});

describe('a kept result that would not say what the parsed one says', () => {
  const answer = { content: [{ type: 'text', text: 'line one\nline two\r\n' }], structuredContent: { a: [1, 2] } };

  /** The data of each SSE event in `stream`, as an EventSource client reads it. */
  function eventData(stream: string): string[] {
    const data: string[] = [];
    const parser = createParser({ onEvent: (event) => data.push(event.data) });
    parser.feed(stream);
    return data;
  }

  it('with raw line breaks (pretty-printed) is serialised again: an SSE event and a JSON body carry the whole message', () => {
    for (const space of ['\n', '\r\n', '\r', '\n\t']) {
      const pretty = `{${space}"jsonrpc": "2.0",${space}"id": 9,${space}"result": ${JSON.stringify(answer, null, space === '\r' ? 1 : 2).replaceAll('\n', space)}${space}}`;
      const message = { jsonrpc: '2.0', id: 'client-9', result: kept(pretty) };
      for (const id of [undefined, 'stream-1:3']) {
        const data = eventData(sseEvent(message, id));
        expect(data).toHaveLength(1);
        expect(JSON.parse(data[0]!)).toEqual({ jsonrpc: '2.0', id: 'client-9', result: answer });
      }
      expect(JSON.parse(messageJson(message))).toEqual({ jsonrpc: '2.0', id: 'client-9', result: answer });
      expect(resultJsonText(message.result)).toBeUndefined();
    }
  });

  it('with a duplicate key in any object of the result is serialised again (JSON.parse keeps the last)', () => {
    for (const result of [
      '{"content":[],"content":[{"type":"text","text":"x"}]}',
      '{"content":[{"type":"text","text":"checked","text":"unchecked"}]}',
      '{"structuredContent":{"a":{"b":[{"c":1}],"deep":{"k":1,"j":2,"k":3}}}}',
      '{"structuredContent":[[{"x":1}],{"y":{"z":[],"z":{}}}]}',
      '{"isError":false,"is\\u0045rror":true}',
      `{"many":{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')},"k7":0}}`,
    ]) {
      const message = { jsonrpc: '2.0', id: 1, result: kept(`{"jsonrpc":"2.0","id":-1,"result":${result}}`) };
      expect(resultJsonText(message.result)).toBeUndefined();
      expect(messageJson(message)).toBe(JSON.stringify(message));
      expect(JSON.parse(eventData(sseEvent(message))[0]!)).toEqual(JSON.parse(JSON.stringify(message)));
    }
  });

  it('keeps a text whose repeated names are in different objects, or only look alike', () => {
    for (const result of [
      '{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"text":"top"}',
      '{"a":{"a":{"a":1}},"b":{"a":2},"c":[{"a":1},{"a":2}]}',
      '{"ab":1,"ba":2,"a\\"":3,"a":4,"":5,"k":"\\"k\\":1"}',
      '{"é":1,"\\u00e9x":2,"e":3}',
      `{"many":{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')}}}`,
    ]) {
      const message = { jsonrpc: '2.0', id: 1, result: kept(`{"jsonrpc":"2.0","id":-1,"result":${result}}`) };
      expect(messageJson(message)).toBe(`{"jsonrpc":"2.0","id":1,"result":${result}}`);
    }
  });
});

describe('a kept result with fields added (a 2026-07-28 answer: resultType and _meta)', () => {
  const FIELDS = { resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'g"w' } } };

  it("is the backend's text with the fields after its last member, and parses as the spread", () => {
    const result = kept(BACKEND);
    const out = withFields(result, FIELDS);
    expect(out).toEqual({ ...result, ...FIELDS });
    const fieldsText = JSON.stringify(FIELDS).slice(1, -1);
    expect(resultJsonText(out)).toBe(`${RESULT_TEXT.slice(0, -1)},${fieldsText}}`);
    const text = messageJson({ jsonrpc: '2.0', id: 3, result: out });
    expect(JSON.parse(text)).toEqual({ jsonrpc: '2.0', id: 3, result: { ...result, ...FIELDS } });
    // The backend's own spelling (the \u00e9 escape, 1.0) is still there: nothing was serialised again.
    expect(text).toContain('caf\\u00e9');
    expect(text).toContain('"n":1.0');
  });

  it('an empty kept result, with any spacing, gets the fields alone', () => {
    const result = kept('{"jsonrpc":"2.0","id":-1,"result":{ \t }}');
    const out = withFields(result, FIELDS);
    expect(resultJsonText(out)).toBe(`{ \t ${JSON.stringify(FIELDS).slice(1)}`);
  });

  it('has no text of its own when the result has one of the keys, was not kept, or no fields are added', () => {
    const withMeta = kept('{"jsonrpc":"2.0","id":-1,"result":{"content":[],"_meta":{"a":1}}}');
    const merged = withFields(withMeta, FIELDS);
    expect(merged._meta).toEqual(FIELDS._meta);
    expect(resultJsonText(merged)).toBeUndefined();
    expect(resultJsonText(withFields({ content: [] }, FIELDS))).toBeUndefined();
    expect(resultJsonText(withFields(kept(BACKEND), {}))).toBeUndefined();
    expect(JSON.parse(messageJson({ jsonrpc: '2.0', id: 1, result: merged })).result._meta).toEqual(FIELDS._meta);
  });

  it('agrees with JSON.stringify of the spread on generated results', () => {
    const rng = seededRng(7);
    const strings = ['', 'plain', 'q"uote', 'back\\slash', '}]{[,:', 'ünï€😀'];
    const pick = <T>(items: T[]): T => items[Math.floor(rng.next() * items.length)]!;
    for (let i = 0; i < 200; i++) {
      const result = Object.fromEntries(
        Array.from({ length: Math.floor(rng.next() * 4) }, () => [pick(strings), { v: pick(strings) }]),
      );
      const space = pick(['', ' ', '\t ']);
      // Indented on one line: a text with raw line breaks is not kept.
      const message = `{"jsonrpc":"2.0","id":-1,"result":${JSON.stringify(result, null, space).replaceAll('\n', ' ')}}`;
      const out = withFields(kept(message), FIELDS);
      expect(JSON.parse(resultJsonText(out) as string)).toEqual(JSON.parse(JSON.stringify(out)));
    }
  });
});

describe('topLevelValue', () => {
  it('finds a value wherever the key stands, with any spacing, escapes and nesting around it', () => {
    expect(topLevelValue('{"id":1,"result":{"a":[1,{"b":"}"}]}}', 'result')).toBe('{"a":[1,{"b":"}"}]}');
    expect(topLevelValue(' {\n "x" : "\\\\" ,\t"result" :\r\n[ "\\"]" ] } ', 'result')).toBe('[ "\\"]" ]');
    expect(topLevelValue('{"result":null}', 'result')).toBe('null');
    expect(topLevelValue('{"result":-1.5e3,"id":2}', 'result')).toBe('-1.5e3');
    expect(topLevelValue('{"a":{"result":1}}', 'result')).toBeUndefined();
    expect(topLevelValue('{}', 'result')).toBeUndefined();
    expect(topLevelValue('[1]', 'result')).toBeUndefined();
  });

  it('reads escaped key names and keeps the last of duplicate keys, as JSON.parse does', () => {
    expect(topLevelValue('{"res\\u0075lt":1}', 'result')).toBe('1');
    expect(topLevelValue('{"result":1,"result":{"two":2}}', 'result')).toBe('{"two":2}');
  });

  it('agrees with JSON.parse on generated objects', () => {
    const rng = seededRng(20261207);
    const pick = <T>(items: T[]): T => items[Math.floor(rng.next() * items.length)]!;
    const strings = ['', 'plain', 'q"uote', 'back\\slash\\', '}]{[,:', 'ünï€😀', '\n\t', '\\"'];
    const value = (depth: number): unknown => {
      const kind = depth > 3 ? pick(['s', 'n', 'l']) : pick(['s', 'n', 'l', 'o', 'a']);
      if (kind === 's') return pick(strings);
      if (kind === 'n') return pick([0, -1, 3.25, 1e21, 12345678]);
      if (kind === 'l') return pick([true, false, null]);
      if (kind === 'a') return Array.from({ length: Math.floor(rng.next() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rng.next() * 4) }, () => [pick(strings), value(depth + 1)]),
      );
    };
    for (let i = 0; i < 300; i++) {
      const message = { jsonrpc: '2.0', [pick(['id', 'result', 'x'])]: value(1), result: value(0), id: pick(strings) };
      const text = JSON.stringify(message, null, pick([0, 1, '\t']));
      expect(JSON.parse(topLevelValue(text, 'result') as string)).toEqual(JSON.parse(text).result);
    }
  });
});
