// A shared session store that cannot be reached, for a request that needs it: the HTTP front answers 503 with a
// JSON-RPC error saying so (the reason, which names the store's address, goes to the log, not to the client).
export class SessionStoreUnavailableError extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super('the session store is unavailable; try again later');
    this.name = 'SessionStoreUnavailableError';
    this.reason = reason;
  }
}
