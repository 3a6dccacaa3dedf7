// How deeply a JSON value nests, checked without recursion. Serialising recurses (JSON.stringify overflows V8's stack
// at a few thousand levels), so a value nested too deeply cannot be relayed: when it is a backend's result, the SDK
// server fails to send the answer and the client waits for its own timeout, told nothing. The router checks first.

/** The deepest nesting the gateway relays: far below where serialising fails, far above any real MCP payload. */
export const MAX_RELAYED_DEPTH = 1000;

/** Whether objects and arrays in `value` nest more than `max` levels deep (the value itself is level 1). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() as number;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
