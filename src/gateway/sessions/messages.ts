// What a 2025-era POST carries, checked by hand (no schema pass): JSON-RPC requests, notifications and responses,
// alone or in a batch; the HTTP headers the Streamable HTTP transport requires (Accept, Content-Type,
// MCP-Protocol-Version); and the `initialize` request's negotiation. Pure functions over the parsed body and the Node
// headers; the handler turns a refusal into the answer.
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import { isPlainObject } from '../../api/plain-object.ts';

/** The revisions a 2025-era client may negotiate, newest first (the SDK's list). */
export const SESSION_VERSIONS: readonly string[] = [
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
  '2024-10-07',
];
/** What a client asking for a revision we do not speak is offered. */
export const LATEST_SESSION_VERSION = '2025-11-25';
/** Assumed when a request carries no MCP-Protocol-Version header (the transport spec's fallback). */
export const DEFAULT_SESSION_VERSION = '2025-03-26';
/** The most messages one batch may carry. */
export const MAX_BATCH = 100;

export type Id = string | number;
export type RequestMessage = { jsonrpc: '2.0'; id: Id; method: string; params?: Record<string, unknown> };
export type NotificationMessage = { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };
export type ResponseMessage = {
  jsonrpc: '2.0';
  id: Id;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
};

export interface Messages {
  requests: RequestMessage[];
  notifications: NotificationMessage[];
  responses: ResponseMessage[];
  batch: boolean;
}

/** A refusal before any message is handled: HTTP status and the JSON-RPC error (id null). */
export interface HttpRefusal {
  status: number;
  code: number;
  message: string;
}

const refusal = (status: number, code: number, message: string): HttpRefusal => ({ status, code, message });

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** Accept and Content-Type of a POST (406, 415). */
export function checkPostHeaders(headers: IncomingHttpHeaders): HttpRefusal | undefined {
  const accept = header(headers, 'accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    return refusal(406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
  }
  const type = (header(headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return refusal(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
  }
  return undefined;
}

/** Accept of a GET (406). */
export function checkGetHeaders(headers: IncomingHttpHeaders): HttpRefusal | undefined {
  if ((header(headers, 'accept') ?? '').includes('text/event-stream')) return undefined;
  return refusal(406, -32000, 'Not Acceptable: Client must accept text/event-stream');
}

/** The MCP-Protocol-Version header of a request in a session: absent, or one we speak. */
export function checkVersionHeader(headers: IncomingHttpHeaders): HttpRefusal | undefined {
  const version = header(headers, 'mcp-protocol-version');
  if (version === undefined || SESSION_VERSIONS.includes(version)) return undefined;
  return refusal(
    400,
    -32000,
    `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SESSION_VERSIONS.join(', ')})`,
  );
}

const isId = (id: unknown): id is Id => typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

/** Sort a POST body into its messages, or refuse it (400) as the transport spec says. */
export function parseMessages(body: unknown): Messages | HttpRefusal {
  const batch = Array.isArray(body);
  const list: unknown[] = batch ? body : [body];
  if (batch && list.length > MAX_BATCH) {
    return refusal(400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
  }
  const out: Messages = { requests: [], notifications: [], responses: [], batch };
  const invalid = refusal(400, -32700, 'Parse error: Invalid JSON-RPC message');
  if (list.length === 0) return invalid;
  for (const m of list) {
    if (!isPlainObject(m) || m.jsonrpc !== '2.0') return invalid;
    if (m.params !== undefined && !isPlainObject(m.params)) return invalid;
    if (typeof m.method === 'string') {
      if (m.id === undefined) out.notifications.push(m as NotificationMessage);
      else if (isId(m.id)) out.requests.push(m as RequestMessage);
      else return invalid;
    } else if (isId(m.id) && (isPlainObject(m.result) || isPlainObject(m.error))) {
      out.responses.push(m as ResponseMessage);
    } else return invalid;
  }
  return out;
}

export function isRefusal(v: Messages | HttpRefusal): v is HttpRefusal {
  return 'status' in v;
}

/** Whether a body is (or holds) an `initialize` request: the one message that opens a session. */
export function containsInitialize(body: unknown): boolean {
  const isInit = (m: unknown) => isPlainObject(m) && m.method === 'initialize' && isId(m.id);
  return Array.isArray(body) ? body.some(isInit) : isInit(body);
}

export interface InitializeParams {
  protocolVersion: string;
  capabilities: ClientCapabilities;
  clientInfo: Implementation;
}

/** The params of an `initialize` request, or why they are invalid. */
export function initializeParams(params: Record<string, unknown> | undefined): InitializeParams | string {
  if (!params || typeof params.protocolVersion !== 'string') return 'protocolVersion must be a string';
  if (!isPlainObject(params.capabilities)) return 'capabilities must be an object';
  const info = params.clientInfo;
  if (!isPlainObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string') {
    return 'clientInfo must name the client and its version';
  }
  return params as unknown as InitializeParams;
}

/** The revision to answer `initialize` with: the client's when we speak it, else our latest. */
export function negotiate(requested: string): string {
  return SESSION_VERSIONS.includes(requested) ? requested : LATEST_SESSION_VERSION;
}
