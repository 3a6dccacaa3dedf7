// Checking the `Mcp-Param-{Name}` headers of a 2026-07-28 `tools/call` (which arguments are marked: see
// actors/mcp/modern/param-headers.ts): a server that reads the body must check that each marked value present in the
// arguments came with its header, equal after decoding (else 400, HeaderMismatch).
import type { IncomingHttpHeaders } from 'node:http';
import { decodeHeaderValue } from '../../actors/mcp/modern/envelope.ts';
import { markedParams, valueAt } from '../../actors/mcp/modern/param-headers.ts';

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
  for (const { header, path } of markedParams(tool)) {
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
