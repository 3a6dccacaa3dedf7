// JSON.parse keeps the last of two equal keys and says nothing, so a log line with `"component":"gateway",...,
// "component":"audit"` parses fine and hides the problem. This reader walks the text itself and names every key that
// occurs twice in one object (as a dotted path). It accepts exactly JSON and throws on anything else.
export function duplicateKeys(text: string): string[] {
  let i = 0;
  const found: string[] = [];
  const fail = (what: string): never => {
    throw new Error(`not JSON at offset ${i}: ${what}`);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const expect = (c: string) => {
    space();
    if (text[i] !== c) fail(`expected ${c}`);
    i++;
  };
  const string = (): string => {
    space();
    if (text[i] !== '"') fail('expected a string');
    const start = i;
    for (i++; text[i] !== '"'; i++) {
      if (i >= text.length) fail('unterminated string');
      if (text[i] === '\\') i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string, depth: number): void => {
    if (depth > 1000) fail('nested deeper than 1000 levels');
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      const seen = new Set<string>();
      for (;;) {
        const key = string();
        const at = path ? `${path}.${key}` : key;
        if (seen.has(key)) found.push(at);
        seen.add(key);
        expect(':');
        value(at, depth + 1);
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}');
        return;
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`, depth + 1);
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']');
        return;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!literal) fail('expected a value');
    i += (literal as RegExpExecArray)[0].length;
  };
  value('', 0);
  space();
  if (i !== text.length) fail('trailing text');
  return found;
}
