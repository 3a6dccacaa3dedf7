// The JSON text a backend sent, kept beside what was parsed from it, so that a result the gateway relays unchanged
// can go to its client as the backend's own bytes instead of being serialised again. The transport keeps the text of
// a response message against its parsed `result` object; a writer asks for the result's text and splices it into its
// own envelope (the client's id). Whoever changes a result makes a new object (the router does), so a kept text
// always matches the object it is kept for.

/** Response message texts, by the `result` object parsed from them. */
const texts = new WeakMap<object, string>();
/** Result texts made by `withFields`, by the result object made with them. */
const made = new WeakMap<object, string>();

/** Remember that `result` was parsed from `messageText`, the whole JSON-RPC response it came in. */
export function keepJsonText(result: object, messageText: string): void {
  texts.set(result, messageText);
}

/** The JSON text of `result` as the backend sent it, or undefined when it was not kept (or cannot be found). */
export function resultJsonText(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const text = texts.get(result);
  return text === undefined ? made.get(result) : topLevelValue(text, 'result');
}

/**
 * `{ ...result, ...fields }`, a new object. When `result` has a kept text and none of the fields' keys, the new
 * object's text is that text with the fields written after its last member: its JSON without serialising `result`.
 */
export function withFields(result: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  const out = { ...result, ...fields };
  for (const key of Object.keys(fields)) if (Object.hasOwn(result, key)) return out;
  const text = resultJsonText(result);
  // A kept text of an object ends with its closing brace (topLevelValue slices it so).
  if (text === undefined || text.charCodeAt(text.length - 1) !== CLOSE_OBJECT) return out;
  const added = JSON.stringify(fields).slice(1, -1);
  if (added === '') return out;
  const empty = skipSpace(text, 1) === text.length - 1;
  made.set(out, `${text.slice(0, -1)}${empty ? '' : ','}${added}}`);
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The text of the value of `key` in the JSON object `text` (the last one, as JSON.parse keeps the last of duplicate
 * keys), or undefined. `text` must be valid JSON (it parsed): only its structure is followed, strings are jumped over.
 */
export function topLevelValue(text: string, key: string): string | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_OBJECT) return undefined;
  const plain = `"${key}"`;
  let found: string | undefined;
  for (;;) {
    const nameEnd = stringEnd(text, i);
    const name = text.slice(i, nameEnd);
    // Past the name, the colon and the space around it.
    const start = skipSpace(text, skipSpace(text, nameEnd) + 1);
    const end = valueEnd(text, start);
    if (name === plain || (name.includes('\\') && JSON.parse(name) === key)) found = text.slice(start, end);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) return found;
    i = skipSpace(text, i + 1);
  }
}

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    // Space, tab, line feed, carriage return: JSON's whitespace.
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

/** Past the closing quote of the string that opens at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) throw new SyntaxError('unterminated string in JSON text');
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j + 1;
    j++;
  }
}

/** Past the end of the value that starts at `i`. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        j = stringEnd(text, j);
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return j + 1;
      j++;
    }
    throw new SyntaxError('unterminated object or array in JSON text');
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)
      break;
    j++;
  }
  return j;
}
