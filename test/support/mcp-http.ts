// A JSON-RPC message to a Streamable HTTP endpoint as a 2025-11-25 client sends it, by bare fetch: the Accept and
// Content-Type headers, and the session id with the protocol version once a session exists. No test framework here,
// so that benchmarks use it too.

export const ACCEPT_BOTH = 'application/json, text/event-stream';
export const SESSION_REVISION = '2025-11-25';

/** The headers of a request with a JSON body (a POST), in a session once `session` is given; `more` adds or overrides. */
export const mcpHeaders = (session?: string, more: Record<string, string> = {}): Record<string, string> => ({
  accept: ACCEPT_BOTH,
  'content-type': 'application/json',
  ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': SESSION_REVISION } : {}),
  ...more,
});

export const send = (
  gateway: { url: URL },
  method: string,
  session: string | undefined,
  body?: object,
  more: Record<string, string> = {},
) => {
  const headers = mcpHeaders(session, { accept: method === 'GET' ? 'text/event-stream' : ACCEPT_BOTH, ...more });
  if (!body && !('content-type' in more)) delete headers['content-type'];
  return fetch(gateway.url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
};
