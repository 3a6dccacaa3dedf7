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
