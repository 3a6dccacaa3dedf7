// Which era a request to `/mcp` belongs to, and whether a 2026-07-28 request is well formed: its `_meta` envelope
// and the request metadata headers that must mirror the body (Streamable HTTP, "Server Validation"). Pure functions
// over the parsed body and the Node headers; the endpoint turns a refusal into the HTTP answer the spec names.
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientCapabilities, Implementation, LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import {
  decodeHeaderValue,
  HEADER_MISMATCH,
  META_CLIENT_CAPABILITIES,
  META_CLIENT_INFO,
  META_LOG_LEVEL,
  META_PROTOCOL_VERSION,
  NAMED,
  UNSUPPORTED_PROTOCOL_VERSION,
} from '../../actors/mcp/modern/envelope.ts';
import { eraOfVersion, MODERN_VERSIONS } from '../../machines/backend-session-era.ts';

const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

type Message = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

const metaOf = (message: unknown): Record<string, unknown> | undefined => {
  const params = (message as Message | null)?.params;
  const meta = params && typeof params === 'object' ? (params as { _meta?: unknown })._meta : undefined;
  return meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
};

const hasClaim = (message: unknown) => metaOf(message)?.[META_PROTOCOL_VERSION] !== undefined;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/**
 * A request is served in 2026-07-28 when its body claims a revision in the `_meta` envelope, or its
 * `MCP-Protocol-Version` header names a modern revision (the modern path then answers what is missing). Everything
 * else (`initialize`, requests in a 2025 session, GET and DELETE of a session) is the 2025-era path's.
 */
export function isModernRequest(headers: IncomingHttpHeaders, body: unknown): boolean {
  if (Array.isArray(body) ? body.some(hasClaim) : hasClaim(body)) return true;
  const version = header(headers, 'mcp-protocol-version');
  return version !== undefined && eraOfVersion(version) === 'modern';
}

/** A refusal: the HTTP status and the JSON-RPC error to answer with. */
export interface Refusal {
  status: number;
  code: number;
  message: string;
  data?: unknown;
}

/** What one valid 2026-07-28 request says about its client. */
export interface ModernRequest {
  id: string | number;
  method: string;
  params: Record<string, unknown>;
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo: Implementation | undefined;
  logLevel: LoggingLevel | undefined;
}

export type Parsed =
  | { kind: 'request'; request: ModernRequest }
  | { kind: 'notification' }
  | { kind: 'refused'; id: string | number | null; refusal: Refusal };

const refused = (id: unknown, status: number, code: number, message: string, data?: unknown): Parsed => ({
  kind: 'refused',
  id: typeof id === 'string' || typeof id === 'number' ? id : null,
  refusal: { status, code, message, ...(data !== undefined ? { data } : {}) },
});

/**
 * Check one 2026-07-28 POST body against its headers: one JSON-RPC request (or notification), the envelope present,
 * the mirrored headers equal to the body, the revision one we speak. The order follows the spec's error table: a
 * malformed message, then header mismatches (-32020), then an envelope missing (-32602) or naming a revision we do not
 * speak (-32022).
 */
export function parseModernRequest(headers: IncomingHttpHeaders, body: unknown): Parsed {
  if (Array.isArray(body)) return refused(null, 400, INVALID_REQUEST, 'Invalid Request: 2026-07-28 has no batches');
  const message = body as Message | null;
  if (!message || typeof message !== 'object' || message.jsonrpc !== '2.0' || typeof message.method !== 'string') {
    return refused(message?.id, 400, INVALID_REQUEST, 'Invalid Request: the body must be one JSON-RPC request');
  }
  const { id, method } = message;
  if (id === undefined) return { kind: 'notification' };
  if (typeof id !== 'string' && typeof id !== 'number') {
    return refused(null, 400, INVALID_REQUEST, 'Invalid Request: the id must be a string or a number');
  }
  const params = message.params ?? {};
  if (typeof params !== 'object' || Array.isArray(params)) {
    return refused(id, 400, INVALID_PARAMS, 'Invalid params: params must be an object');
  }
  const meta = metaOf(message) ?? {};
  const claimed = meta[META_PROTOCOL_VERSION];

  const mismatch = (what: string) => refused(id, 400, HEADER_MISMATCH, `Header mismatch: ${what}`);
  const versionHeader = header(headers, 'mcp-protocol-version');
  if (versionHeader === undefined) return mismatch('the MCP-Protocol-Version header is missing');
  if (typeof claimed === 'string' && versionHeader !== claimed) {
    return mismatch(`MCP-Protocol-Version header '${versionHeader}' does not match _meta '${claimed}'`);
  }
  const methodHeader = header(headers, 'mcp-method');
  if (methodHeader === undefined) return mismatch('the Mcp-Method header is missing');
  if (methodHeader !== method) return mismatch(`Mcp-Method header '${methodHeader}' does not match body '${method}'`);
  const field = NAMED[method];
  if (field) {
    const nameHeader = header(headers, 'mcp-name');
    const target = (params as Record<string, unknown>)[field];
    if (nameHeader === undefined) return mismatch('the Mcp-Name header is missing');
    if (decodeHeaderValue(nameHeader) !== target) {
      return mismatch(`Mcp-Name header '${nameHeader}' does not match body ${field} '${String(target)}'`);
    }
  }

  if (typeof claimed !== 'string') {
    return refused(id, 400, INVALID_PARAMS, `Invalid params: _meta["${META_PROTOCOL_VERSION}"] is required`);
  }
  if (!MODERN_VERSIONS.includes(claimed)) {
    return refused(
      id,
      400,
      UNSUPPORTED_PROTOCOL_VERSION,
      `Unsupported protocol version: ${claimed} (2025 revisions are served after initialize)`,
      { supported: [...MODERN_VERSIONS], requested: claimed },
    );
  }
  const capabilities = meta[META_CLIENT_CAPABILITIES];
  if (!capabilities || typeof capabilities !== 'object' || Array.isArray(capabilities)) {
    return refused(id, 400, INVALID_PARAMS, `Invalid params: _meta["${META_CLIENT_CAPABILITIES}"] must be an object`);
  }
  const info = meta[META_CLIENT_INFO];
  const level = meta[META_LOG_LEVEL];
  return {
    kind: 'request',
    request: {
      id,
      method,
      params: params as Record<string, unknown>,
      protocolVersion: claimed,
      clientCapabilities: capabilities as ClientCapabilities,
      clientInfo: info && typeof info === 'object' ? (info as Implementation) : undefined,
      logLevel: typeof level === 'string' ? (level as LoggingLevel) : undefined,
    },
  };
}

const ENVELOPE_KEYS = [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL];

/**
 * The params as the router forwards them: the client's envelope taken out of `_meta` (the gateway is the backend's
 * client; a 2026 backend gets the gateway's own envelope, a 2025 one none), every other `_meta` key kept.
 */
export function withoutEnvelope(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta as Record<string, unknown> | undefined;
  if (!meta) return params;
  const rest: Record<string, unknown> = {};
  for (const key in meta) if (!ENVELOPE_KEYS.includes(key)) rest[key] = meta[key];
  const copy = { ...params };
  if (Object.keys(rest).length > 0) copy._meta = rest;
  else delete copy._meta;
  return copy;
}
