// The `Mcp-Param-{Name}` headers of a 2026-07-28 `tools/call`: a tool's inputSchema may mark parameters with
// `x-mcp-header`, and the client mirrors the values of the marked arguments into those headers (Base64 sentinel form
// for values that are not plain ASCII). Both sides of the gateway read the marks the same way: the backend
// connection to send the headers, the client endpoint to check them.
import { encodeHeaderValue } from './envelope.ts';

export interface MarkedParam {
  /** The header name, lowercase (`mcp-param-region`). */
  header: string;
  /** The chain of `properties` keys leading to the marked argument. */
  path: string[];
}

export interface ToolSchema {
  inputSchema?: unknown;
}

/** The marked parameters of one tool, found once per tool definition (lists keep definitions as objects). */
const cache = new WeakMap<object, MarkedParam[]>();

const MAX_DEPTH = 8;

function markedOf(schema: unknown, path: string[] = [], out: MarkedParam[] = []): MarkedParam[] {
  const properties = (schema as { properties?: unknown } | null)?.properties;
  if (!properties || typeof properties !== 'object' || path.length >= MAX_DEPTH) return out;
  for (const [key, sub] of Object.entries(properties as Record<string, unknown>)) {
    const name = (sub as { 'x-mcp-header'?: unknown } | null)?.['x-mcp-header'];
    if (typeof name === 'string' && name !== '')
      out.push({ header: `mcp-param-${name.toLowerCase()}`, path: [...path, key] });
    markedOf(sub, [...path, key], out);
  }
  return out;
}

export function markedParams(tool: ToolSchema): MarkedParam[] {
  let found = cache.get(tool);
  if (!found) {
    found = markedOf(tool.inputSchema);
    cache.set(tool, found);
  }
  return found;
}

/** The argument at a marked path, or undefined when the arguments carry none there. */
export const valueAt = (args: unknown, path: string[]): unknown =>
  path.reduce<unknown>(
    (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
    args,
  );

/** The header text of a primitive argument (spec: strings as they are, integers in decimal, booleans lowercase). */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return encodeHeaderValue(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** The `Mcp-Param-*` headers of one call of `tool`; a marked argument absent from `args` sends no header. */
export function paramHeaders(tool: ToolSchema | undefined, args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!tool) return out;
  for (const { header, path } of markedParams(tool)) {
    const text = headerText(valueAt(args, path));
    if (text !== undefined) out[header] = text;
  }
  return out;
}
