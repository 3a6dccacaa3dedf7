// A backend session's request over the HTTP client's `calls` (dispatch-response.ts: no request()'s stream and abort
// machinery), for both session transports (Streamable HTTP and the 2024-11-05 HTTP+SSE one). A pooled keep-alive
// socket the server closed at the same moment (a restarting remote resets them all) gets, for a request safe to
// repeat, one immediate retry on a fresh socket.
import type { Dispatcher } from 'undici';
import { isStaleSocket, networkError } from '../errors.ts';
import { dispatchRequest, type HttpAnswer } from './dispatch-response.ts';
import type { HttpClient } from './http-client.ts';

/** JSON-RPC messages that are safe to send twice: session lifecycle and listings. Tool calls never are. */
export const REPEATABLE_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'notifications/initialized',
  'notifications/cancelled',
  'ping',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
]);

/**
 * Sends one request; failures come back as BackendErrors (`networkError`). `repeatable`: the request may reach the
 * server twice without harm (a GET, a DELETE, a message of REPEATABLE_METHODS).
 */
export async function sendSessionRequest(
  http: Pick<HttpClient, 'calls' | 'trace'>,
  options: Omit<Dispatcher.DispatchOptions, 'signal'>,
  signal: AbortSignal,
  what: string,
  repeatable: boolean,
): Promise<HttpAnswer> {
  try {
    return await dispatchRequest(http.calls, options, signal);
  } catch (err) {
    if (!repeatable || signal.aborted || !isStaleSocket(err)) throw networkError(err, what);
    http.trace?.event('mcp.backend.reconnect', { reason: 'stale keep-alive socket' });
    try {
      return await dispatchRequest(http.calls, options, signal);
    } catch (again) {
      throw networkError(again, what);
    }
  }
}
