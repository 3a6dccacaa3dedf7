// The one rule for the headers the gateway sends to a backend on configuration's say: the gateway config file
// (headers, headerFiles, headerEnvVars, headerInjection), MCPRemoteEndpoint headerForward, MCPExternalAuthConfig
// headerInjection and tokenExchange.externalTokenHeaderName, and `mcpre probe --header`. The backend session checks
// every header again as it sends it. A CR or LF would let a value inject headers or split the request; a hop-by-hop,
// Host, framing, forwarding or MCP transport header would let configuration take over what the transport or the
// client's own connection controls (an `X-Forwarded-For` or `Forwarded` set by configuration would forge where a
// request came from). Problems name the header at most, never its value.

/** RFC 9110 token characters: anything else is not a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `text` is an RFC 9110 token (a header name, a method). */
export const isHttpToken = (text: string): boolean => TOKEN.test(text);

export const MAX_HEADER_NAME_LENGTH = 255;
export const MAX_HEADER_VALUE_LENGTH = 8192;

/**
 * Headers configuration may never set (lower case): hop-by-hop (RFC 9110 §7.6.1), framing and negotiation, Host,
 * forwarding (`forwarded` and every `x-forwarded-*`), and what the MCP transport owns.
 */
export const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set([
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
  'http2-settings',
  'host',
  'content-length',
  'content-type',
  'expect',
  'accept',
  'forwarded',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
]);

const RESERVED_PREFIX = 'x-forwarded-';

/** Any character a field value may not hold: controls other than tab, DEL, and anything beyond Latin-1. */
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/;

/** Whether a value holds a character no header value may carry (a control other than tab, DEL, beyond Latin-1). */
export const hasUnsendableCharacter = (value: string): boolean => UNSENDABLE.test(value);
const isBlank = (c: number) => c === 0x20 || c === 0x09;

export interface HeaderNameProblem {
  /** A condition reason: `HeaderNameInvalid` (not an HTTP token) or `HeaderNameReserved` (the gateway's own). */
  reason: 'HeaderNameInvalid' | 'HeaderNameReserved';
  /** Words to follow the header's name, e.g. `header "Host" ${message}`. */
  message: string;
}

export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADER_NAMES.has(lower) || lower.startsWith(RESERVED_PREFIX);
}

/** Why configuration may not set this header, or undefined when it may. */
export function headerNameProblem(name: string): HeaderNameProblem | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH || !TOKEN.test(name)) {
    return {
      reason: 'HeaderNameInvalid',
      message: `is not a valid HTTP header name (1 to ${MAX_HEADER_NAME_LENGTH} letters, digits and !#$%&'*+-.^_\`|~)`,
    };
  }
  if (isReservedHeaderName(name)) {
    return {
      reason: 'HeaderNameReserved',
      message:
        'is reserved: hop-by-hop, Host, framing, forwarding (Forwarded, X-Forwarded-*) and MCP transport headers are set by the gateway, never by configuration',
    };
  }
  return undefined;
}

/**
 * Why this value cannot be sent, or undefined when it can: visible ASCII, obs-text, space and tab only (no CR, LF, NUL
 * or other control character, nothing beyond Latin-1), not at either end, at most 8192 characters. The words never
 * repeat the value.
 */
export function headerValueProblem(value: string): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value.length > MAX_HEADER_VALUE_LENGTH) return `is longer than ${MAX_HEADER_VALUE_LENGTH} characters`;
  // HTTP/2 forbids them (RFC 9113 8.2.1: Node drops such a header without a word) and HTTP/1.1 strips them, so the
  // same value would authenticate against one backend and not another.
  if (isBlank(value.charCodeAt(0)) || isBlank(value.charCodeAt(value.length - 1)))
    return 'begins or ends with a space or tab (HTTP/2 forbids it, HTTP/1.1 strips it)';
  // The common case in one regular-expression test (this runs on every request); the loop only says what is wrong.
  if (!UNSENDABLE.test(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return 'contains a line break (CR or LF)';
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return 'contains a control character (such as NUL)';
    if (c > 0xff) return 'contains a character outside Latin-1';
  }
  return undefined;
}
