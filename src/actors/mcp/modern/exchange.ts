// One MCP 2026-07-28 exchange on Streamable HTTP: a POST carrying one JSON-RPC request, answered by one JSON body or
// by an SSE stream scoped to that request (related notifications, then the response). Nothing survives an exchange:
// no session id is sent or kept, no event id is used (2026-07-28 streams are not resumable). Bodies are size-capped,
// error responses redacted, redirects never followed.
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCRequest,
  JSONRPCResultResponse,
} from '@modelcontextprotocol/sdk/types.js';
import { BackendError, httpError, networkError, protocolError } from '../errors.ts';
import { drain, mediaType, readCappedText, redactErrorResponse } from '../http/body.ts';
import { dispatchRequest, type HttpAnswer } from '../http/dispatch-response.ts';
import type { HttpClient } from '../http/http-client.ts';
import { readSse } from '../http/sse.ts';
import { statusDetail } from '../http/status-detail.ts';
import { isErrorResponse, isResponse } from '../jsonrpc.ts';
import type { Redactor } from '../redactor.ts';
import { parseBatch, parseMessage } from '../transports/messages.ts';
import type { HeaderSource } from '../transports/types.ts';
import { envelopeHeaders } from './envelope.ts';

export interface ExchangeTarget {
  url: URL;
  http: HttpClient;
  headers: HeaderSource;
  redactor: Redactor;
}

export type JsonRpcAnswer = JSONRPCResultResponse | JSONRPCErrorResponse;

export interface ExchangeResult {
  status: number;
  /** The answer to our request, when one came (a non-2xx answer only when its body was a JSON-RPC error). */
  answer: JsonRpcAnswer | undefined;
  /** Why there is no answer on a 2xx: the stream ended or dropped first. */
  ended?: string;
}

/** What of an error answer's body we read: enough for a JSON-RPC error, never a page. */
const ERROR_BODY_BYTES = 16 * 1024;

const isAnswerTo = (message: JSONRPCMessage, id: JSONRPCRequest['id']): message is JsonRpcAnswer =>
  isResponse(message) && message.id === id;

/**
 * POST `request` (its params already enveloped) and read until its answer. Every other message on the way (progress,
 * log, subscription notifications) goes to `onMessage` in order. Rejects on network failures, redirects and
 * malformed answers; a non-2xx status resolves with the JSON-RPC error its body carried (if any) for the caller to
 * judge: the era probe and the request path read the same statuses differently. `extraHeaders` are the request's
 * own metadata headers beyond the envelope's (a tools/call's `Mcp-Param-*`).
 */
export async function exchange(
  target: ExchangeTarget,
  request: JSONRPCRequest,
  protocolVersion: string,
  signal: AbortSignal,
  onMessage: (message: JSONRPCMessage) => void = () => {},
  extraHeaders: Record<string, string> = {},
): Promise<ExchangeResult> {
  const what = `POST ${request.method}`;
  const configured = await target.headers(signal);
  const headers = {
    ...configured,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...envelopeHeaders(request.method, request.params as Record<string, unknown> | undefined, protocolVersion),
    ...extraHeaders,
  };
  let res: HttpAnswer;
  try {
    // dispatch-response.ts: the per-call POST without request()'s stream and abort machinery.
    res = await dispatchRequest(
      target.http.calls,
      {
        origin: target.url.origin,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'POST',
        headers,
        body: JSON.stringify(request),
        bodyTimeout: 0,
      },
      signal,
    );
  } catch (err) {
    throw networkError(err, what);
  }
  const status = res.statusCode;
  if (status >= 300 && status < 400)
    throw httpError(status, what, await statusDetail(res, target.url, target.redactor));
  if (status < 200 || status >= 300) return { status, answer: await errorAnswer(res, target.redactor) };
  const type = mediaType(res.headers);
  if (type === 'application/json') {
    const text = await readCappedText(res.body, target.http.limits.maxResponseBytes, what).catch((err: unknown) => {
      throw err instanceof BackendError ? err : networkError(err, what);
    });
    let answer: JsonRpcAnswer | undefined;
    for (const message of parseBatch(text, what)) {
      if (isAnswerTo(message, request.id)) answer = redactErrorResponse(message, target.redactor) as JsonRpcAnswer;
      else onMessage(message);
    }
    return answer ? { status, answer } : { status, answer, ended: 'the JSON answer did not carry our response' };
  }
  if (type === 'text/event-stream') return readStream(res, request, status, target, onMessage);
  await drain(res.body);
  throw protocolError(`${what}: unexpected content type ${JSON.stringify(type ?? 'none')}`);
}

async function readStream(
  res: HttpAnswer,
  request: JSONRPCRequest,
  status: number,
  target: ExchangeTarget,
  onMessage: (message: JSONRPCMessage) => void,
): Promise<ExchangeResult> {
  let answer: JsonRpcAnswer | undefined;
  try {
    await readSse(res.body, target.http.limits.maxEventBytes, {
      onEvent: (event) => {
        if (answer || !event.data || (event.event && event.event !== 'message')) return;
        const message = parseMessage(event.data);
        if (!message) return;
        if (isAnswerTo(message, request.id)) {
          answer = redactErrorResponse(message, target.redactor) as JsonRpcAnswer;
          // The answer ends the exchange (the server SHOULD close the stream; we do not wait for it).
          res.body.destroy();
          return;
        }
        onMessage(message);
      },
    });
  } catch (err) {
    if (answer) return { status, answer };
    // An oversized event is the server misbehaving; a dropped connection only ends the stream.
    if (err instanceof BackendError && err.kind === 'protocol') throw err;
    return { status, answer, ended: networkError(err, `POST ${request.method}`).message };
  }
  return answer ? { status, answer } : { status, answer, ended: 'the response stream ended before the response' };
}

/** The JSON-RPC error an error status carried, redacted; undefined when the body is not one. */
async function errorAnswer(res: HttpAnswer, redactor: Redactor): Promise<JSONRPCErrorResponse | undefined> {
  let text: string;
  try {
    text = await readCappedText(res.body, ERROR_BODY_BYTES, 'error body');
  } catch {
    return undefined;
  }
  try {
    const message = parseMessage(text);
    return message && isErrorResponse(message)
      ? (redactErrorResponse(message, redactor) as JSONRPCErrorResponse)
      : undefined;
  } catch {
    return undefined;
  }
}
