// How a failed request is told to the client: where it failed (in the gateway, or at which backend and step) with
// each prefix once. The SDK's McpError puts "MCP error <code>: " into its message, a server sends an error's message
// as the JSON-RPC error message, and the client's SDK prefixes it again; so the gateway answers with RequestError,
// whose message goes out exactly as written, and strips the prefix from messages it relays.
import { ErrorCode, McpError } from '../api/mcp-errors.ts';
import { isOrdinaryToolResult } from '../api/mcp-result-shapes.ts';
import { BackendRequestError } from './backend.ts';
import { MAX_RELAYED_DEPTH, nestedDeeperThan } from './nesting-depth.ts';

/** A JSON-RPC error for the client: code, message (sent as written) and data. */
export class RequestError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
    this.data = data;
  }
}

/**
 * The client's error for a forwarded request that failed. Backend-side failures name the backend and the step:
 * its JSON-RPC error (code and data kept), its HTTP answer or connection ("POST tools/call: HTTP 400 ..."), no answer
 * in time, or the backend not being available. Anything else went wrong in the gateway itself (serialising the
 * request, a bug) and says so, so nobody goes looking for it at the backend.
 */
export function forwardFailure(backend: string, method: string, err: unknown): RequestError {
  if (err instanceof RequestError) return err;
  if (err instanceof McpError) return backendAnswer(backend, method, err);
  if (err instanceof BackendRequestError) {
    const message = withoutMcpPrefix(err.message);
    // "backend "x" is not available (backoff: ...)": already says which backend and why.
    if (message.startsWith(`backend "${backend}"`)) return new RequestError(ErrorCode.InternalError, message);
    return new RequestError(ErrorCode.InternalError, `backend "${backend}" failed: ${message}`);
  }
  return gatewayFailure(`forwarding ${method} to backend "${backend}"`, err);
}

/**
 * Why a backend's answer cannot be relayed as it is, or undefined. A result nested deeper than the gateway can
 * serialise would make the answer fail to send (the client would wait for its timeout); a tools/call result that is
 * not one would be refused by the client's SDK with a message that names no backend. Results of text blocks are
 * checked by hand (mcp-result-shapes.ts); any other is judged by the SDK's schema, loaded then.
 */
export function unrelayable(
  backend: string,
  method: string,
  params: Record<string, unknown>,
  result: Record<string, unknown>,
): RequestError | undefined | Promise<RequestError | undefined> {
  if (nestedDeeperThan(result, MAX_RELAYED_DEPTH)) {
    return gatewayFailure(
      `relaying the result of ${method} from backend "${backend}"`,
      `the result nests more than ${MAX_RELAYED_DEPTH} levels deep, more than the gateway relays`,
    );
  }
  if (method !== 'tools/call') return undefined;
  // A task-augmented call answers with a task, not a tool result.
  const isTask = params.task !== undefined;
  if (!isTask && isOrdinaryToolResult(result)) return undefined;
  // Answered at once in the usual case above; only a result of another shape waits for the SDK's schemas.
  return checkedBySchema(backend, result, isTask);
}

async function checkedBySchema(
  backend: string,
  result: Record<string, unknown>,
  isTask: boolean,
): Promise<RequestError | undefined> {
  const { CallToolResultSchema, CreateTaskResultSchema } = await import('@modelcontextprotocol/sdk/types.js');
  const parsed = (isTask ? CreateTaskResultSchema : CallToolResultSchema).safeParse(result);
  if (parsed.success) return undefined;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'the result'}: ${issue.message}`);
  return new RequestError(
    ErrorCode.InternalError,
    `backend "${backend}" answered tools/call with an invalid ${isTask ? 'task' : 'result'} (${issues.join('; ')})`,
  );
}

/** A failure inside the gateway while doing `what`. */
export function gatewayFailure(what: string, err: unknown): RequestError {
  const message = err instanceof Error ? err.message : String(err);
  // V8's stack overflow, from serialising (or walking) a value nested deeper than the stack allows.
  const hint = err instanceof RangeError && /call stack/i.test(message) ? ': the request is nested too deeply' : '';
  return new RequestError(
    ErrorCode.InternalError,
    `gateway error while ${what} (the backend is not at fault): ${message}${hint}`,
  );
}

/** An McpError out of the backend client: the backend's own JSON-RPC error, or the client giving up waiting. */
function backendAnswer(backend: string, method: string, err: McpError): RequestError {
  const message = withoutMcpPrefix(err.message);
  const data = err.data as { timeout?: unknown; mcpre?: unknown } | undefined;
  if (err.code === ErrorCode.RequestTimeout && typeof data?.timeout === 'number') {
    return new RequestError(err.code, `backend "${backend}" did not answer ${method} within ${data.timeout} ms`);
  }
  if (err.code === ErrorCode.ConnectionClosed && message === 'Connection closed') {
    return new RequestError(
      err.code,
      `backend "${backend}" failed: the connection closed before ${method} was answered`,
    );
  }
  if (data?.mcpre === 'responseStreamFailed') {
    return new RequestError(err.code, `backend "${backend}" failed: ${method}: ${message.replace(/^mcpre: /, '')}`);
  }
  return new RequestError(err.code, `backend "${backend}" answered ${method} with an error: ${message}`, err.data);
}

/** "MCP error -32603: MCP error -32603: text" -> "text". */
export function withoutMcpPrefix(message: string): string {
  return message.replace(/^(MCP error -?\d+: )+/, '');
}
