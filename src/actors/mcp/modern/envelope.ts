// The per-request envelope of MCP 2026-07-28: every request carries its revision, the client's capabilities and the
// client's identity in `_meta`, and on Streamable HTTP mirrors the revision, the method and the target's name into
// headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) so intermediaries can route without parsing the body.
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';

export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';

/** The error codes only a modern server answers with (spec: the MCP-reserved server-error range). */
export const HEADER_MISMATCH = -32020;
export const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;
export const MODERN_ERROR_CODES: ReadonlySet<number> = new Set([
  HEADER_MISMATCH,
  MISSING_REQUIRED_CLIENT_CAPABILITY,
  UNSUPPORTED_PROTOCOL_VERSION,
]);

export interface Envelope {
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo: Implementation;
}

/**
 * The params with the envelope in `_meta`. The caller's own `_meta` keys (progress token, trace context) are kept;
 * the envelope's keys are ours: the gateway is the backend's client, whatever its own client said.
 */
export function withEnvelope(params: Record<string, unknown> | undefined, envelope: Envelope): Record<string, unknown> {
  const meta = (params?._meta as Record<string, unknown> | undefined) ?? {};
  return {
    ...params,
    _meta: {
      ...meta,
      [META_PROTOCOL_VERSION]: envelope.protocolVersion,
      [META_CLIENT_CAPABILITIES]: envelope.clientCapabilities,
      [META_CLIENT_INFO]: envelope.clientInfo,
    },
  };
}

/** The methods whose target is named in `Mcp-Name`, and the param that names it. */
export const NAMED: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/** A header value that is visible ASCII with inner spaces only; otherwise the spec's Base64 sentinel form. */
const PLAIN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const SENTINEL = /^=\?base64\?.*\?=$/;

export function encodeHeaderValue(value: string): string {
  if (PLAIN.test(value) && !SENTINEL.test(value)) return value;
  return `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** A header value as sent: the Base64 sentinel form decoded, anything else as it is. */
export function decodeHeaderValue(value: string): string {
  if (!SENTINEL.test(value)) return value;
  return Buffer.from(value.slice('=?base64?'.length, -'?='.length), 'base64').toString('utf8');
}

/** The request metadata headers of one POST. */
export function envelopeHeaders(
  method: string,
  params: Record<string, unknown> | undefined,
  protocolVersion: string,
): Record<string, string> {
  const out: Record<string, string> = { 'mcp-protocol-version': protocolVersion, 'mcp-method': method };
  const field = NAMED[method];
  const name = field ? params?.[field] : undefined;
  if (typeof name === 'string') out['mcp-name'] = encodeHeaderValue(name);
  return out;
}
