// A JSON-RPC message to a Streamable HTTP endpoint as a 2025-11-25 client sends it, by bare fetch: the Accept and
// Content-Type headers, and the session id with the protocol version once a session exists. No test framework here,
// so that benchmarks use it too.

export const ACCEPT_BOTH = 'application/json, text/event-stream';
export const SESSION_REVISION = '2025-11-25';

export const send = (gateway: { url: URL }, method: string, session: string | undefined, body?: object, more = {}) =>
  fetch(gateway.url, {
    method,
    headers: {
      accept: method === 'GET' ? 'text/event-stream' : ACCEPT_BOTH,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': SESSION_REVISION } : {}),
      ...more,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
