// Remembers a pure function's answers for the last few texts it was given: planning a VirtualMCPServer parses the
// same YAML again and again (it is planned on every change in its group), and the answer depends on the text alone.
// Bounded, least recently used first out; callers must treat the answers as read-only, since they are shared.

export function memoByText<T>(limit: number, compute: (text: string) => T): (text: string) => T {
  const answers = new Map<string, T>();
  return (text) => {
    if (answers.has(text)) {
      const known = answers.get(text) as T;
      answers.delete(text);
      answers.set(text, known);
      return known;
    }
    const answer = compute(text);
    answers.set(text, answer);
    if (answers.size > limit) answers.delete(answers.keys().next().value as string);
    return answer;
  };
}
