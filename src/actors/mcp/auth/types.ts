// Outgoing credentials for a backend (MCPExternalAuthConfig and headerForward): each provider yields headers at
// request time, so a rotated Secret or a refreshed token applies to the very next request and no value is stored in a
// transport's options.
export type OutgoingAuthMethod = 'unauthenticated' | 'headerInjection' | 'tokenExchange' | 'headerForward';

export interface OutgoingAuth {
  /** For audit and logs: the method, never the credential. */
  readonly method: OutgoingAuthMethod | 'composite';
  /** The headers to add to one HTTP request, validated. */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
}

/** A secret's value, read when a request is made (e.g. from a mounted Secret file or an env var). */
export type SecretValue = () => string | Promise<string>;
