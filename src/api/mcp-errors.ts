// JSON-RPC error codes and the error an MCP request fails with, as the MCP SDK defines them (same codes, same message
// text, same name), without its types module: that module builds every protocol schema with zod at import, which is
// most of what a gateway would otherwise hold at rest for the few constants it reads.

export const ErrorCode = {
  ConnectionClosed: -32000,
  RequestTimeout: -32001,
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  UrlElicitationRequired: -32042,
} as const;

export class McpError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(`MCP error ${code}: ${message}`);
    this.code = code;
    this.data = data;
    this.name = 'McpError';
  }

  /** The error of a JSON-RPC error response (the SDK's factory of the same name). */
  static fromError(code: number, message: string, data?: unknown): McpError {
    return new McpError(code, message, data);
  }

  /** The SDK's McpError (thrown by its servers and clients in tests and in the demo backend) is the same error here. */
  static override [Symbol.hasInstance](value: unknown): value is McpError {
    return value instanceof Error && value.name === 'McpError' && Number.isSafeInteger((value as McpError).code);
  }
}
