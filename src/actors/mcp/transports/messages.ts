// Parsing what a server sends: one SSE event's data, or a JSON response body that may be a batch. Both transports
// read server messages the same way; an event that does not parse is skipped, a body that does not parse fails. The
// envelope is checked here (jsonrpc.ts, the SDK's JSONRPCMessageSchema by hand); what a result holds is checked by
// whoever reads it (connection.ts for initialize, list-pages.ts for lists, the gateway's router for tool results).
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { protocolError } from '../errors.ts';
import { jsonRpcKind } from '../jsonrpc.ts';

/** One SSE event's data as a JSON-RPC message, or undefined when it is not one (the caller skips it). */
export function parseMessage(data: string): JSONRPCMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return undefined;
  }
  return jsonRpcKind(json) ? (json as JSONRPCMessage) : undefined;
}

/** A JSON response body: one message or a batch; anything else is a protocol error naming `what`. */
export function parseBatch(text: string, what: string): JSONRPCMessage[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw protocolError(`${what}: the response is not valid JSON`);
  }
  const items: unknown[] = Array.isArray(json) ? json : [json];
  for (const item of items) {
    if (!jsonRpcKind(item)) throw protocolError(`${what}: the response is not a valid JSON-RPC message`);
  }
  return items as JSONRPCMessage[];
}
