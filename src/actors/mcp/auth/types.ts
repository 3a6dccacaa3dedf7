// Outgoing credentials for a backend (MCPExternalAuthConfig and headerForward, built by outgoing-auth.ts): headers are
// produced at request time, so a refreshed token applies to the very next request and no value is stored in a
// transport's options.
export type OutgoingAuthMethod = 'unauthenticated' | 'headerInjection' | 'tokenExchange';

export interface OutgoingAuth {
  /** For audit and logs: the method, never the credential. */
  readonly method: OutgoingAuthMethod;
  /** The headers to add to one HTTP request. */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
}

/** A secret's value, read when a request is made. */
export type SecretValue = () => string | Promise<string>;
