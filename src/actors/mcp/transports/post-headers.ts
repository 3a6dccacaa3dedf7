// The headers a Streamable HTTP request carries: the configured ones (auth, injected), the request's own, and the
// session's id and protocol version once granted. A POST's set is reused while what it was built from is the same
// (undici does not change the object), so the per-call path builds no header object.

/** What every POST says it sends and accepts. */
const POST_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
});

export function withSession(
  configured: Record<string, string>,
  own: Readonly<Record<string, string>>,
  sessionId: string | undefined,
  protocolVersion: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = { ...configured, ...own };
  if (sessionId !== undefined) out['mcp-session-id'] = sessionId;
  if (protocolVersion !== undefined) out['mcp-protocol-version'] = protocolVersion;
  return out;
}

/** The headers of the last POST, built again only when the configured set (a new object when it changed) or the session did. */
export class PostHeaderCache {
  #last:
    | {
        configured: Record<string, string>;
        sessionId: string | undefined;
        protocolVersion: string | undefined;
        headers: Record<string, string>;
      }
    | undefined;

  for(
    configured: Record<string, string>,
    sessionId: string | undefined,
    protocolVersion: string | undefined,
  ): Record<string, string> {
    const last = this.#last;
    if (last?.configured === configured && last.sessionId === sessionId && last.protocolVersion === protocolVersion) {
      return last.headers;
    }
    const headers = withSession(configured, POST_HEADERS, sessionId, protocolVersion);
    this.#last = { configured, sessionId, protocolVersion, headers };
    return headers;
  }
}
