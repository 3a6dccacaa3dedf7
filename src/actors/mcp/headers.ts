// Outgoing header names and values from configuration and Secrets are checked before they reach the wire: a CR or LF
// would let a value inject headers or split the request, and a hop-by-hop, Host or protocol header would let
// configuration take over what the transport must control. Errors name the header, never its value.
import { configError } from './errors.ts';

// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers configuration may never set: hop-by-hop (RFC 9110 §7.6.1), framing, Host, and what the MCP transport owns. */
const RESERVED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'expect',
  'accept',
  'http2-settings',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'forwarded',
]);

export function validateHeaderName(name: string, source: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255 || !TOKEN.test(name)) {
    throw configError(
      `${source}: header name ${JSON.stringify(String(name).slice(0, 64))} is not a valid HTTP token (letters, digits and !#$%&'*+-.^_\`|~ only)`,
    );
  }
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || lower.startsWith('x-forwarded-')) {
    throw configError(
      `${source}: header "${name}" may not be set by configuration (hop-by-hop, Host, framing, forwarding or MCP transport header)`,
    );
  }
  return lower;
}

/** Field values: visible ASCII, obs-text, space and tab; no CR, LF, NUL or other control characters. */
export function validateHeaderValue(name: string, value: string, source: string): string {
  if (typeof value !== 'string') throw configError(`${source}: the value of header "${name}" is not a string`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) {
      throw configError(
        `${source}: the value of header "${name}" contains a line break (CR or LF); refusing to send it`,
      );
    }
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      throw configError(`${source}: the value of header "${name}" contains a control character; refusing to send it`);
    }
    if (c > 0xff) {
      throw configError(
        `${source}: the value of header "${name}" contains a non-Latin-1 character; refusing to send it`,
      );
    }
  }
  if (value.length > 8192) throw configError(`${source}: the value of header "${name}" is longer than 8192 characters`);
  return value;
}

/** Merge header sets, refusing the same header (case-insensitive) from two sources. */
export function mergeHeaderSets(
  sets: Array<{ source: string; headers: Record<string, string> }>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const owner = new Map<string, string>();
  for (const { source, headers } of sets) {
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      const previous = owner.get(lower);
      if (previous !== undefined) {
        throw configError(`header "${name}" is set by both ${previous} and ${source}; configure it in one place`);
      }
      owner.set(lower, source);
      out[lower] = value;
    }
  }
  return out;
}
