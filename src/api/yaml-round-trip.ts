// What a YAML reader gets back from `# comment` + `stringify(value, { lineWidth: 0 })`, without writing and parsing
// the text, for values where that is certain: plain objects, arrays, booleans, null, finite numbers (not -0) and strings (keys
// included) of printable ASCII, each object once. Keys whose value is undefined are left out, as the writer leaves
// them out. Anything else (other characters, where YAML's line breaks, byte-order marks and escapes come in; other
// types; an object met twice, which the writer turns into an anchor and alias) answers undefined, and the caller
// parses the text instead. test/unit/api/yaml-round-trip.test.ts checks the claim against
// the yaml package on generated values.

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function yamlRoundTrip(value: unknown, comment = ''): unknown {
  if (!PRINTABLE_ASCII.test(comment)) return undefined;
  const out = copy(value, 0, new Set());
  return out === UNSAFE ? undefined : out;
}

const UNSAFE = Symbol('unsafe');
/** Deeper than any config the operator renders; a deeper value is simply parsed. */
const MAX_DEPTH = 64;

function copy(value: unknown, depth: number, seen: Set<object>): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return PRINTABLE_ASCII.test(value) ? value : UNSAFE;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : UNSAFE;
  if (typeof value !== 'object' || depth >= MAX_DEPTH || seen.has(value)) return UNSAFE;
  seen.add(value);
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return UNSAFE;
      const item = copy(value[i], depth + 1, seen);
      if (item === UNSAFE) return UNSAFE;
      items.push(item);
    }
    return items;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return UNSAFE;
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(value)) {
    if (!PRINTABLE_ASCII.test(key) || key === '__proto__') return UNSAFE;
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const item = copy(v, depth + 1, seen);
    if (item === UNSAFE) return UNSAFE;
    entries.push([key, item]);
  }
  return Object.fromEntries(entries);
}
