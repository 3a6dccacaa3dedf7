// Remembers answers for the last few texts: planning a VirtualMCPServer renders and parses the same YAML again and
// again (it is planned on every change in its group), and those answers depend on a text alone. The caller passes
// the text and how to compute its answer, which must be a function of that text only. Bounded, least recently used
// first out; answers are shared, so callers must treat them as read-only.

export type TextMemo<T> = (text: string, compute: () => T) => T;

export function memoByText<T>(limit: number): TextMemo<T> {
  const answers = new Map<string, T>();
  return (text, compute) => {
    if (answers.has(text)) {
      const known = answers.get(text) as T;
      answers.delete(text);
      answers.set(text, known);
      return known;
    }
    const answer = compute();
    answers.set(text, answer);
    if (answers.size > limit) answers.delete(answers.keys().next().value as string);
    return answer;
  };
}

export type LastTextMemo<T> = (owner: string, text: string, compute: () => T) => T;

/**
 * Remembers, for each owner, the answers for the last `depth` texts it asked about: for answers each object computes
 * again on every change (a VirtualMCPServer's rendered config), however many objects there are. Bounded by owners,
 * least recently used first out; texts are compared, not hashed, so a long text costs one comparison.
 */
export function memoLastByOwner<T>(limit: number, depth = 1): LastTextMemo<T> {
  const last = new Map<string, { text: string; answer: T }[]>();
  return (owner, text, compute) => {
    const entries = last.get(owner) ?? [];
    last.delete(owner);
    const i = entries.findIndex((e) => e.text === text);
    const entry = i >= 0 ? entries.splice(i, 1)[0]! : { text, answer: compute() };
    entries.unshift(entry);
    if (entries.length > depth) entries.length = depth;
    last.set(owner, entries);
    if (last.size > limit) last.delete(last.keys().next().value as string);
    return entry.answer;
  };
}
