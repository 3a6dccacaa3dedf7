// The gateway's Backend over the backend-session actor (src/machines/backend-session.ts): the actor owns the
// session's lifecycle (backoff, circuit breaker, GET stream, one shared re-initialization after a 404); this adapter
// only reads its snapshots and emitted list changes, and runs requests on the live connection through
// withBackendSession (a request that met a lost session waits for the re-initialization and is retried once).
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { BackendError } from '../actors/mcp/errors.ts';
import type { BackendConnection } from '../machines/backend-session-protocol.ts';
import { BackendSessionUnavailableError, withBackendSession } from '../machines/backend-session-requests.ts';
import {
  type BackendSessionSnapshot,
  liveConnection,
  negotiatedRevision,
  sessionPhase,
  sessionReason,
} from '../machines/backend-session-status.ts';
import { type RunningBackendSession, startBackendSession } from '../runtime/start-backend-session.ts';
import { spanEvent } from '../runtime/tracing/tracing.ts';
import {
  type Backend,
  type BackendInfo,
  type BackendLists,
  BackendRequestError,
  type BackendRequestOptions,
  type BackendRequestResult,
  type BackendState,
  NO_LISTS,
  type ServerRequestRelay,
} from './backend.ts';
import { BackendListeners } from './backend-listeners.ts';
import type { BackendSetup } from './backend-setup.ts';

export class SessionActorBackend implements Backend {
  readonly info: BackendInfo;
  state: BackendState = 'connecting';
  reason: string | undefined = 'not started';
  lists: BackendLists = NO_LISTS;
  capabilities: ServerCapabilities | undefined;
  protocolVersion: string | undefined;

  readonly #setup: BackendSetup;
  readonly #logger: Logger;
  readonly #listeners: BackendListeners;
  #session: RunningBackendSession | undefined;
  /** The lists the actor last published (it emits only real changes). */
  #published: BackendLists = NO_LISTS;
  #watched: BackendConnection | undefined;
  #unwatch: (() => void) | undefined;

  readonly #inspect: ((event: InspectionEvent) => void) | undefined;
  #relay: ServerRequestRelay | undefined;

  constructor(setup: BackendSetup, logger: Logger, inspect?: (event: InspectionEvent) => void) {
    this.#setup = setup;
    this.info = setup.info;
    this.#logger = logger;
    this.#listeners = new BackendListeners(logger);
    this.#inspect = inspect;
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.onChange(listener);
  }

  relayServerRequests(relay: ServerRequestRelay): void {
    this.#relay = relay;
  }

  onResourceUpdated(listener: (uri: string) => void): () => void {
    return this.#listeners.onResourceUpdated(listener);
  }

  async start(): Promise<void> {
    if (this.#session) return;
    const setup = this.#setup;
    // The fixed headers were checked when the setup was built (and are checked again as they are sent); a per-client
    // session of a tokenExchange backend adds its client's exchanged token (per-client-backend.ts).
    const auth = setup.outgoing.forSession(setup.clientAuth);
    const session = startBackendSession({
      backendId: setup.info.name,
      url: setup.info.url,
      transport: setup.transport,
      auth,
      caBundlePem: setup.caPem,
      caBundleSource: `CA bundle of backend ${setup.info.name}`,
      // What the gateway's config declares (api/gateway/client-capabilities.ts); requests the backend sends are
      // relayed to the client whose call they serve (server-requests.ts).
      capabilities: this.#relay?.capabilities ?? {},
      ...(this.#relay ? { onUnrelatedServerRequest: this.#relay.unrelated } : {}),
      log: this.#logger,
      ...(this.#inspect ? { inspect: this.#inspect } : {}),
    });
    this.#session = session;
    session.actor.on('lists.changed', (event) => {
      this.#published = event.lists;
      this.#update(session.actor.getSnapshot());
    });
    session.actor.subscribe((snapshot) => this.#update(snapshot));
    this.#update(session.actor.getSnapshot());
  }

  request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts: BackendRequestOptions = {},
  ): Promise<BackendRequestResult<Record<string, unknown>>> {
    const session = this.#session;
    if (!session) return Promise.reject(new BackendRequestError(`backend "${this.info.name}" is not started`, {}));
    let attempts = 0;
    // The options go to the connection as they are: it reads the fields it knows (identity is this backend's).
    const run = (connection: BackendConnection) => {
      // The second run is the one retry after the session was re-established (a 404, or a changed era).
      if (++attempts > 1) spanEvent('mcp.backend.retry', { attempt: attempts });
      // A tool's result keeps the backend's JSON text, for the client's answer to carry as it came.
      if (method === 'tools/call' && params && connection.callToolRaw) return connection.callToolRaw(params, opts);
      return connection.request(method, params, opts);
    };
    return withBackendSession(session.actor, run, opts).catch(asBackendRequestError);
  }

  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#unwatch?.();
    this.#unwatch = undefined;
    if (session) await session.stop();
    this.state = 'closed';
    this.reason = 'closed by the gateway';
    this.lists = NO_LISTS;
    this.#notify();
  }

  #update(snapshot: BackendSessionSnapshot): void {
    const state = sessionPhase(snapshot);
    const reason = sessionReason(snapshot);
    const lists = state === 'ready' || state === 'reinitializing' ? this.#published : NO_LISTS;
    const capabilities = snapshot.context.session?.capabilities;
    // Plain data for status: it changes only with the state, so it needs no notification of its own.
    this.protocolVersion = negotiatedRevision(snapshot);
    this.#watchConnection(liveConnection(snapshot));
    if (state === this.state && reason === this.reason && lists === this.lists && capabilities === this.capabilities)
      return;
    this.state = state;
    this.reason = reason;
    this.lists = lists;
    this.capabilities = capabilities;
    this.#notify();
  }

  /** `notifications/resources/updated` arrive on the live connection; follow it across re-initializations. */
  #watchConnection(connection: BackendConnection | undefined): void {
    if (connection === this.#watched) return;
    this.#unwatch?.();
    this.#watched = connection;
    this.#unwatch = connection?.onEvent((event) => {
      if (event.type !== 'notification' || event.method !== 'notifications/resources/updated') return;
      const uri = (event.params as { uri?: unknown } | undefined)?.uri;
      if (typeof uri === 'string') this.#listeners.resourceUpdated(uri);
    });
  }

  #notify(): void {
    this.#listeners.changed();
  }
}

export function sessionActorBackendFactory(setup: BackendSetup, logger: Logger): Backend {
  return new SessionActorBackend(setup, logger);
}

/** The same, with every session actor reported to an inspector (the /debug/actors directory). */
export function inspectedSessionActorBackendFactory(inspect: (event: InspectionEvent) => void) {
  return (setup: BackendSetup, logger: Logger): Backend => new SessionActorBackend(setup, logger, inspect);
}

/**
 * The backend's failures (its HTTP answers, its connection, its session's state) become BackendRequestError; its
 * JSON-RPC errors stay McpError. Anything else went wrong in the gateway and is passed on as it is, so the router does
 * not blame the backend for it.
 */
function asBackendRequestError(err: unknown): never {
  if (err instanceof BackendError) throw new BackendRequestError(err.message, { httpStatus: err.status, cause: err });
  if (err instanceof BackendSessionUnavailableError) throw new BackendRequestError(err.message, { cause: err });
  throw err;
}
