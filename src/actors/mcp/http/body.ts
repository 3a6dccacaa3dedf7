// Reading response bodies with a cap, small header helpers, and what of a remote's error may be repeated.
import type { IncomingHttpHeaders } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { protocolError } from '../errors.ts';
import { isErrorResponse } from '../jsonrpc.ts';
import type { Redactor } from '../redactor.ts';

/** A response body as the readers here take it: undici's (`request()`) or dispatch-response.ts's. */
export type AnswerBodyLike = AsyncIterable<Uint8Array> & {
  destroy?(err?: Error): unknown;
  dump?(opts?: { limit: number }): Promise<void>;
};

/** What the readers here take of an HTTP answer. */
export interface AnswerLike {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: AnswerBodyLike;
}

/** The whole body as text, refusing (and destroying the stream) beyond `max` bytes. */
export async function readCappedText(
  body: AsyncIterable<Uint8Array> & { destroy?(err?: Error): unknown },
  max: number,
  what: string,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) {
      const err = protocolError(`${what}: response body larger than ${max} bytes; refusing it`);
      body.destroy?.(err);
      throw err;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Discard a body we do not need, without letting it hold the connection. */
export async function drain(body: { dump?(opts?: { limit: number }): Promise<void>; destroy?(): unknown }) {
  try {
    if (body.dump) await body.dump({ limit: 64 * 1024 });
    else body.destroy?.();
  } catch {
    // The connection is gone anyway.
  }
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `text/event-stream; charset=utf-8` -> `text/event-stream`. */
export function mediaType(headers: IncomingHttpHeaders): string | undefined {
  return header(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
}

/**
 * A short, safe description of an error response for messages: the JSON-RPC error message if the body is one, with
 * every credential we sent taken out (servers echo them), else nothing (other bodies are not repeated at all).
 */
export async function errorDetail(
  body: AsyncIterable<Uint8Array> & { destroy?(): unknown },
  redactor: Redactor,
): Promise<string | undefined> {
  try {
    return errorDetailOf(await readCappedText(body, 16 * 1024, 'error body'), redactor);
  } catch {
    // Too large, or the connection dropped: no detail.
    return undefined;
  }
}

/** The same, of a body already read. */
export function errorDetailOf(text: string, redactor: Redactor): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    const message = parsed?.error?.message;
    if (typeof message === 'string') {
      const code = typeof parsed.error?.code === 'number' ? ` ${parsed.error.code}` : '';
      // Redacted before it is cut: a cut could leave a prefix too short to recognise.
      return `JSON-RPC error${code}: ${redactor.redact(message).slice(0, 200)}`;
    }
  } catch {
    // Not JSON: no detail.
  }
  return undefined;
}

/**
 * A JSON-RPC message from a server as the SDK may see it: an error response has the credentials we sent taken out of
 * its message and data (the SDK turns both into the McpError that reaches logs, status and clients). Results,
 * requests and notifications are the server's content and pass unchanged.
 */
export function redactErrorResponse(message: JSONRPCMessage, redactor: Redactor): JSONRPCMessage {
  if (!isErrorResponse(message)) return message;
  const { error } = message;
  return {
    ...message,
    error: {
      ...error,
      message: redactor.redact(error.message),
      ...(error.data !== undefined ? { data: redactor.redactDeep(error.data) } : {}),
    },
  };
}
