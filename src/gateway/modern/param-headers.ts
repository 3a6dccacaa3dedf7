// `Mcp-Param-{Name}` headers of a 2026-07-28 `tools/call`: a tool's inputSchema may mark parameters with
// `x-mcp-header`; the client mirrors their values into headers, and a server that reads the body must check that each
// marked value present in the arguments came with its header, equal after decoding (else 400, HeaderMismatch).
import type { IncomingHttpHeaders } from 'node:http';
import { decodeHeaderValue } from '../../actors/mcp/modern/envelope.ts';

interface Marked {
  header: string;
  path: string[];
}

/** The marked parameters of one tool, found once per tool definition (the aggregate keeps definitions as objects). */
const cache = new WeakMap<object, Marked[]>();

const MAX_DEPTH = 8;

function markedOf(schema: unknown, path: string[] = [], out: Marked[] = []): Marked[] {
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

function marked(tool: { inputSchema?: unknown }): Marked[] {
  let found = cache.get(tool);
  if (!found) {
    found = markedOf(tool.inputSchema);
    cache.set(tool, found);
  }
  return found;
}

const valueAt = (args: unknown, path: string[]): unknown =>
  path.reduce<unknown>(
    (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
    args,
  );

/** The Base64 sentinel form with a payload that is not canonical Base64 (bad padding or characters): never a match. */
const SENTINEL = /^=\?base64\?(.*)\?=$/;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const badBase64 = (sent: string): boolean => {
  const payload = SENTINEL.exec(sent)?.[1];
  return payload !== undefined && !CANONICAL_BASE64.test(payload);
};

function equal(headerValue: string, bodyValue: unknown): boolean {
  if (typeof bodyValue === 'number') return Number(headerValue) === bodyValue;
  if (typeof bodyValue === 'boolean') return headerValue === String(bodyValue);
  return headerValue === bodyValue;
}

/** Why the `Mcp-Param-*` headers do not match the arguments, or undefined when they do. */
export function paramHeaderMismatch(
  tool: { inputSchema?: unknown } | undefined,
  args: unknown,
  headers: IncomingHttpHeaders,
): string | undefined {
  if (!tool) return undefined;
  for (const { header, path } of marked(tool)) {
    const value = valueAt(args, path);
    if (value === undefined || value === null) continue;
    const raw = headers[header];
    const sent = Array.isArray(raw) ? raw.join(', ') : raw;
    if (sent === undefined) return `the ${header} header is missing for argument ${path.join('.')}`;
    if (badBase64(sent)) return `${header} header '${sent}' is not valid Base64`;
    if (!equal(decodeHeaderValue(sent), value)) {
      return `${header} header '${sent}' does not match argument ${path.join('.')}`;
    }
  }
  return undefined;
}
