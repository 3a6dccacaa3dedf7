// The one test for "a JSON object" that the readers of outside input (JSON-RPC messages, MCP results, config files,
// manifests) share.

/** An object that is neither null nor an array: what JSON calls an object. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
