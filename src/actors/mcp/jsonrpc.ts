// JSON-RPC message shapes checked by hand on the backend path, where every message sent or received is classified at
// least once. The SDK's zod guards build an error object for every miss (1.5 to 3 µs each, several per call).
// `jsonRpcKind` accepts exactly what the SDK's JSONRPCMessageSchema accepts (strict envelopes, integer or string ids,
// `_meta` as the SDK types it); the guards below it are for messages already known to be JSON-RPC (parsed through
// `jsonRpcKind`, or built by the SDK or this code), so the keys alone tell them apart.
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
} from '@modelcontextprotocol/sdk/types.js';
import { isPlainObject } from '../../api/plain-object.ts';

export type JsonRpcKind = 'request' | 'notification' | 'result' | 'error';

const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const ENVELOPE_KEYS = new Set(['jsonrpc', 'id', 'method', 'params', 'result', 'error']);

const isId = (value: unknown): boolean => typeof value === 'string' || Number.isSafeInteger(value);

/** `_meta` of params or a result: an object whose progress token and related task, when present, are well-typed. */
function isMeta(meta: unknown): boolean {
  if (meta === undefined) return true;
  if (!isPlainObject(meta)) return false;
  if (meta.progressToken !== undefined && !isId(meta.progressToken)) return false;
  const task = meta[RELATED_TASK];
  return task === undefined || (isPlainObject(task) && typeof task.taskId === 'string');
}

const isParams = (params: unknown): boolean => params === undefined || (isPlainObject(params) && isMeta(params._meta));

/** What JSON-RPC message `value` is (as the SDK's JSONRPCMessageSchema would accept it), or undefined for none. */
export function jsonRpcKind(value: unknown): JsonRpcKind | undefined {
  if (!isPlainObject(value) || value.jsonrpc !== '2.0') return undefined;
  for (const key of Object.keys(value)) if (!ENVELOPE_KEYS.has(key)) return undefined;
  // Optional members may be present as undefined (in-process messages); required ones are checked for their type.
  const id = value.id !== undefined;
  const params = value.params !== undefined;
  const method = 'method' in value;
  const result = 'result' in value;
  const error = 'error' in value;
  if (id && !isId(value.id)) return undefined;
  if (method) {
    if (result || error || typeof value.method !== 'string' || !isParams(value.params)) return undefined;
    return id ? 'request' : 'notification';
  }
  if (params) return undefined;
  if (result) return id && !error && isPlainObject(value.result) && isMeta(value.result._meta) ? 'result' : undefined;
  if (!error || !isPlainObject(value.error)) return undefined;
  const { code, message } = value.error;
  return Number.isSafeInteger(code) && typeof message === 'string' ? 'error' : undefined;
}

/** A request (has a method and an id), of a message known to be JSON-RPC. */
export const isRequest = (message: JSONRPCMessage): message is JSONRPCRequest =>
  'method' in message && 'id' in message && message.id !== undefined;

/** A notification (a method, no id), of a message known to be JSON-RPC. */
export const isNotification = (message: JSONRPCMessage): message is JSONRPCNotification =>
  'method' in message && !isRequest(message);

/** A result or an error response, of a message known to be JSON-RPC. */
export const isResponse = (message: JSONRPCMessage): message is JSONRPCResultResponse | JSONRPCErrorResponse =>
  'result' in message || 'error' in message;

/** An error response, of a message known to be JSON-RPC. */
export const isErrorResponse = (message: JSONRPCMessage): message is JSONRPCErrorResponse =>
  'error' in message && !('method' in message);
