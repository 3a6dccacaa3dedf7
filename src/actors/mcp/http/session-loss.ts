// When a backend's answer means the session is gone. The spec's answer to a request whose Mcp-Session-Id the server no
// longer knows is HTTP 404; servers built on the v1 SDK's example wiring (@modelcontextprotocol/server-everything
// among them) answer HTTP 400 with JSON-RPC -32000 "Bad Request: No valid session ID provided" instead, and a
// stateful SDK transport that restarted answers 400 "Bad Request: Server not initialized". The rule, for a request
// that carried Mcp-Session-Id:
//   - 404, whatever the body: the session is lost;
//   - 400 whose body is a JSON-RPC error response whose message says the session (id) is unknown, invalid, missing,
//     not found or expired, or that the server is not initialized: the session is lost;
//   - any other 400 (an unsupported protocol version, a malformed request, "Session exists but uses a different
//     transport protocol") is the request's own failure and is reported as an HTTP error.
// A request without Mcp-Session-Id never lost a session. What follows a loss is bounded by the session machine: one
// re-initialization and one retry, and a session lost again before it was stable counts as a failed attempt.
import { Readable } from 'node:stream';
import type { Redactor } from '../redactor.ts';
import { type AnswerLike, errorDetailOf, readCappedText } from './body.ts';

/** Error messages longer than this are not about a session id (and are not searched). */
const MAX_MESSAGE = 500;

const SESSION_UNKNOWN: readonly RegExp[] = [
  /\bsession\b.*\b(not found|unknown|invalid|not valid|expired|missing|required|does not exist|no longer exists)\b/i,
  /\b(no valid|invalid|unknown|expired|missing)\b.*\bsession\b/i,
  /\bserver not initialized\b/i,
];

/** Whether a JSON-RPC error message says the session the request named is not known to the server. */
export function saysSessionUnknown(message: string): boolean {
  if (message.length > MAX_MESSAGE) return false;
  return SESSION_UNKNOWN.some((pattern) => pattern.test(message));
}

/** The JSON-RPC error message of a response body, if the body is a JSON-RPC error response. */
function jsonRpcErrorMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { jsonrpc?: unknown; error?: { message?: unknown } };
    return parsed?.jsonrpc === '2.0' && typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  } catch {
    return undefined;
  }
}

export interface SessionAnswer {
  /** The answer says the session is gone. */
  lost: boolean;
  /** The body's JSON-RPC error, redacted and cut, for the failure message. */
  detail: string | undefined;
  /** The same response with its body still readable (it was read here to classify it). */
  res: AnswerLike;
}

/**
 * Classify a 400 or 404 answer to a request that carried Mcp-Session-Id (see the rule above). The body is read (up to
 * 16 KiB; a larger one says nothing about a session) and handed back in `res` for whoever reports the answer.
 */
export async function readSessionAnswer(res: AnswerLike, redactor: Redactor): Promise<SessionAnswer> {
  const text = await readCappedText(res.body, 16 * 1024, 'error body').catch(() => '');
  const again: AnswerLike = { ...res, body: Readable.from([Buffer.from(text)]) };
  const detail = errorDetailOf(text, redactor);
  if (res.statusCode === 404) return { lost: true, detail, res: again };
  const message = res.statusCode === 400 ? jsonRpcErrorMessage(text) : undefined;
  return { lost: message !== undefined && saysSessionUnknown(message), detail, res: again };
}
