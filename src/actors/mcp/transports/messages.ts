// Parsing what a server sends: one SSE event's data, or a JSON response body that may be a batch. Both transports
// read server messages the same way; an event that does not parse is skipped, a body that does not parse fails.
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { protocolError } from '../errors.ts';

/** One SSE event's data as a JSON-RPC message, or undefined when it is not one (the caller skips it). */
export function parseMessage(data: string): JSONRPCMessage | undefined {
  try {
    const result = JSONRPCMessageSchema.safeParse(JSON.parse(data));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON response body: one message or a batch; anything else is a protocol error naming `what`. */
export function parseBatch(text: string, what: string): JSONRPCMessage[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw protocolError(`${what}: the response is not valid JSON`);
  }
  const items = Array.isArray(json) ? json : [json];
  return items.map((item) => {
    const result = JSONRPCMessageSchema.safeParse(item);
    if (!result.success) throw protocolError(`${what}: the response is not a valid JSON-RPC message`);
    return result.data;
  });
}
