// The JSON text a backend sent, kept beside what was parsed from it, so that a result the gateway relays unchanged
// can go to its client as the backend's own bytes instead of being serialised again. The transport keeps the text of
// a response message against its parsed `result` object; a writer asks for the result's text and splices it into its
// own envelope (the client's id). Whoever changes a result makes a new object (the router does), so a kept text
// always matches the object it is kept for.
// A text is only relayed when it says exactly what the parsed object says to every reader: one without raw line
// breaks (they would end an SSE `data:` line; JSON allows them as whitespace) and without a duplicate key anywhere
// (the router judged the last of them, as JSON.parse keeps it; a client that keeps the first would see another).

/** Response message texts, by the `result` object parsed from them, not yet looked at. */
const texts = new WeakMap<object, string>();
/** Result texts fit to relay: a kept one once checked, or one made by `withFields`, by the result object. */
const made = new WeakMap<object, string>();

/** Remember that `result` was parsed from `messageText`, the whole JSON-RPC response it came in. */
export function keepJsonText(result: object, messageText: string): void {
  texts.set(result, messageText);
}

/**
 * The JSON text of `result` as the backend sent it, or undefined when it was not kept, cannot be found, or is not
 * fit to relay (line breaks, a duplicate key): then the writer serialises the object.
 */
export function resultJsonText(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const ready = made.get(result);
  if (ready !== undefined) return ready;
  const text = texts.get(result);
  if (text === undefined) return undefined;
  // Checked once: an answer is written to its stream and its event log.
  texts.delete(result);
  const value = topLevelValue(text, 'result', true);
  if (value === undefined) return undefined;
  made.set(result, value);
  return value;
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
 * `relayable`: undefined too when the value is not fit to relay as it is (`relayableEnd`).
 */
export function topLevelValue(text: string, key: string, relayable = false): string | undefined {
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
    const match = name === plain || (name.includes('\\') && JSON.parse(name) === key);
    const end = match && relayable ? relayableEnd(text, start) : valueEnd(text, start);
    if (end < 0) return undefined;
    if (match) found = text.slice(start, end);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) return found;
    i = skipSpace(text, i + 1);
  }
}

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Past the end of the value that starts at `i`, as `valueEnd`; -1 when the value has a raw line break or an object
 * with a duplicate key (names compared as JSON.parse reads them). One pass over the structure, strings jumped over;
 * a key is compared with its object's earlier keys in place, by a hash first (an escaped name is decoded to compare).
 */
function relayableEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) return valueEnd(text, i);
  // The open objects' key names as (start, end, hash, escaped) without the quotes, and where each open object's
  // names begin (-1: an array).
  const names: number[] = [];
  const open: number[] = [];
  let expectKey = false;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        expectKey = false;
        const from = i + 1;
        const to = end - 1;
        let hash = 0;
        let escaped = 0;
        for (let k = from; k < to; k++) {
          const d = text.charCodeAt(k);
          if (d === BACKSLASH) escaped = 1;
          hash = (Math.imul(hash, 31) + d) | 0;
        }
        for (let k = open[open.length - 1]!; k < names.length; k += 4) {
          if (escaped + names[k + 3]! > 0) {
            if (JSON.parse(text.slice(names[k]! - 1, names[k + 1]! + 1)) === JSON.parse(text.slice(i, end))) return -1;
          } else if (names[k + 2] === hash && sameText(text, names[k]!, names[k + 1]!, from, to)) return -1;
        }
        names.push(from, to, hash, escaped);
      }
      i = end;
      continue;
    }
    if (c === OPEN_OBJECT) {
      open.push(names.length);
      expectKey = true;
    } else if (c === OPEN_ARRAY) open.push(-1);
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      const from = open.pop()!;
      if (from >= 0) names.length = from;
      if (open.length === 0) return i + 1;
      expectKey = false;
    } else if (c === COMMA) expectKey = open[open.length - 1]! >= 0;
    else if (c === LINE_FEED || c === CARRIAGE_RETURN) return -1;
    i++;
  }
  throw new SyntaxError('unterminated object or array in JSON text');
}

function sameText(text: string, aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let k = 0; k < aTo - aFrom; k++) if (text.charCodeAt(aFrom + k) !== text.charCodeAt(bFrom + k)) return false;
  return true;
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
