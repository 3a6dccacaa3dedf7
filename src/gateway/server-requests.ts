// Requests a backend sends to the client (sampling/createMessage, elicitation/create, roots/list) while serving a
// call, and who answers them. A request that arrives on a call's own response stream (it names the call as its
// related request) goes to that call's client. One that arrives on the backend's GET stream (servers built on the v1
// SDK's `server.request(...)` without a related request id send them there) goes to the client whose calls to that
// backend are in flight, when there is exactly one such client; with calls from several clients in flight, or none,
// nobody can tell whose it is, so it is refused. A request for a capability the answering client did not declare at
// initialize is refused too (the backend session is shared and declares what the gateway config says:
// api/gateway/client-capabilities.ts). A 2026-07-28 client has no session to declare at: what it declared on the call is
// what a 2026-07-28 backend is told for that call (intersected with the config), and a refusal is the era's
// MissingRequiredClientCapability (-32021) naming the capability. Every relay and refusal is noted on the audit line of the call it concerns, every
// refusal is logged (warn) and counted (mcpre_gateway_server_requests_total); a refusal with no call in flight gets
// an audit line of its own.
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { MISSING_REQUIRED_CLIENT_CAPABILITY } from '../actors/mcp/modern/envelope.ts';
import { ErrorCode } from '../api/mcp-errors.ts';
import { type AuditSink, auditableUrl, type ServerRequestNote } from './audit.ts';
import type { Backend, BackendInfo, ServerRequestHandler } from './backend.ts';
import { RequestError } from './forward-errors.ts';
import type { GatewayMetrics } from './metrics.ts';

export type ServerRequest = Parameters<ServerRequestHandler>[0];
type Result = Record<string, unknown>;

/** A call in flight that can relay server requests to its client. */
export interface RelayCaller {
  /** The client's MCP session at the gateway: calls of one session share an owner. */
  session: string | undefined;
  subject: string;
  /** What the client declared at initialize (2025 era) or on this call (2026-07-28). */
  capabilities: () => ClientCapabilities | undefined;
  /** A 2026-07-28 client: a capability it lacks is refused with -32021 (MissingRequiredClientCapability). */
  perRequestCapabilities?: boolean;
  /** The capability a server request of this call needed and the client had not declared, once refused. */
  missing?: keyof ClientCapabilities;
  /** Send a request to the client, as related to this call. */
  send(request: ServerRequest, signal: AbortSignal): Promise<Result>;
  /** What happened to server requests during this call, for its audit line. */
  notes: ServerRequestNote[];
}

/** The capability a client must have declared for each server request the gateway relays. */
const CAPABILITY: Record<string, keyof ClientCapabilities> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};
/** The capabilities a relayed request can need: `declaredFor` walks them on every call. */
const CAPABILITIES = [...new Set(Object.values(CAPABILITY))];

/** Bounded label values: a backend can send any method name. */
const metricMethod = (method: string) => (method in CAPABILITY ? method : 'other');

export class ServerRequestRelays {
  readonly #log: Logger;
  readonly #metrics: GatewayMetrics;
  readonly #audit: AuditSink;
  /** Relaying calls in flight, by backend name, oldest first. */
  readonly #calls = new Map<string, Set<RelayCaller>>();

  /** Declared to every backend (the gateway config's clientCapabilities). */
  readonly #declared: ClientCapabilities;

  constructor(deps: { logger: Logger; metrics: GatewayMetrics; audit: AuditSink; declared?: ClientCapabilities }) {
    this.#declared = deps.declared ?? {};
    this.#log = deps.logger.child({ component: 'server-requests' });
    this.#metrics = deps.metrics;
    this.#audit = deps.audit;
  }

  /** What a backend may be told for one call of a client that declared `client`: the client's, within the config's. */
  declaredFor(client: ClientCapabilities | undefined): ClientCapabilities | undefined {
    if (!client) return undefined;
    const out: ClientCapabilities = {};
    for (const key of CAPABILITIES) {
      if (this.#declared[key] !== undefined && client[key] !== undefined) Object.assign(out, { [key]: client[key] });
    }
    return out;
  }

  /** Backends made by `create` declare the configured capabilities and hand their GET-stream requests to these relays. */
  wrapFactory<S extends { info: BackendInfo }>(
    create: (setup: S, logger: Logger) => Backend,
  ): (setup: S, logger: Logger) => Backend {
    return (setup, logger) => {
      const backend = create(setup, logger);
      backend.relayServerRequests?.({ capabilities: this.#declared, unrelated: this.unrelatedHandler(setup.info) });
      return backend;
    };
  }

  /** A call to `backend` that relays is in flight until the returned function is called. */
  track(backend: string, caller: RelayCaller): () => void {
    let calls = this.#calls.get(backend);
    if (!calls) {
      calls = new Set<RelayCaller>();
      this.#calls.set(backend, calls);
    }
    calls.add(caller);
    return () => {
      calls.delete(caller);
      if (calls.size === 0 && this.#calls.get(backend) === calls) this.#calls.delete(backend);
    };
  }

  /** A server request on the call's own response stream: to the call's client, if it declared the capability. */
  relayAttached(backend: string, caller: RelayCaller, request: ServerRequest, signal: AbortSignal): Promise<Result> {
    return this.#relay(backend, caller, request, signal, 'call');
  }

  /** A question a 2026-07-28 backend embedded in an `input_required` result, asked of a 2025-era call's client. */
  relayInput(backend: string, caller: RelayCaller, request: ServerRequest, signal: AbortSignal): Promise<Result> {
    return this.#relay(backend, caller, request, signal, 'input');
  }

  /** Who answers the server requests `backend` sends outside any request (its GET stream). */
  unrelatedHandler(info: BackendInfo): ServerRequestHandler {
    return (request, signal) => {
      const calls = [...(this.#calls.get(info.name) ?? [])];
      const owners = new Set(calls.map((c, i) => c.session ?? `(sessionless call ${i})`));
      const [first] = calls;
      if (first && owners.size === 1) return this.#relay(info.name, first, request, signal, 'stream');
      const reason =
        calls.length === 0
          ? `no call to backend "${info.name}" is in flight, so no client can answer it`
          : `calls from ${owners.size} clients to backend "${info.name}" are in flight, so its client is ambiguous`;
      const error = this.#refuse(
        info.name,
        request,
        ErrorCode.InvalidRequest,
        'stream',
        reason,
        calls.length ? 'ambiguous' : 'no-call',
      );
      for (const call of calls) call.notes.push({ method: request.method, via: 'stream', outcome: 'refused', reason });
      if (calls.length === 0) {
        this.#audit({
          client: 'none',
          session: undefined,
          method: request.method,
          target: undefined,
          backend: info.name,
          remoteUrl: auditableUrl(info.url),
          authMethod: info.authMethod,
          outcome: 'refused',
          remoteStatus: undefined,
          durationMs: 0,
          error: error.message,
        });
      }
      return Promise.reject(error);
    };
  }

  async #relay(
    backend: string,
    caller: RelayCaller,
    request: ServerRequest,
    signal: AbortSignal,
    via: ServerRequestNote['via'],
  ): Promise<Result> {
    const needed = CAPABILITY[request.method];
    if (needed && caller.capabilities()?.[needed] === undefined) {
      const reason = `the client (${caller.subject}) did not declare the ${needed} capability`;
      caller.notes.push({ method: request.method, via, outcome: 'refused', reason });
      caller.missing = needed;
      if (caller.perRequestCapabilities) throw this.#refuse(backend, request, undefined, via, reason, 'not-declared');
      // What a 2025-era MCP client without the capability answers itself.
      throw this.#refuse(backend, request, ErrorCode.MethodNotFound, via, reason, 'not-declared');
    }
    try {
      const result = await caller.send(request, signal);
      caller.notes.push({ method: request.method, via, outcome: 'relayed' });
      this.#count(backend, request, via, 'relayed', '');
      return result;
    } catch (err) {
      // The client's own answer (it declined, or failed): passed back to the backend as it is.
      caller.notes.push({ method: request.method, via, outcome: 'failed', reason: (err as Error)?.message });
      this.#count(backend, request, via, 'failed', '');
      throw err;
    }
  }

  #refuse(
    backend: string,
    request: ServerRequest,
    code: number | undefined,
    via: ServerRequestNote['via'],
    reason: string,
    label: 'ambiguous' | 'no-call' | 'not-declared',
  ): RequestError {
    this.#count(backend, request, via, 'refused', label);
    this.#log.warn({ backend, method: request.method, via, reason: label }, `server request refused: ${reason}`);
    const message = `mcpre refused ${request.method} from backend "${backend}": ${reason}`;
    const needed = CAPABILITY[request.method];
    if (code === undefined && needed) return missingCapability(needed, message);
    return new RequestError(code ?? ErrorCode.MethodNotFound, message);
  }

  #count(backend: string, request: ServerRequest, via: string, outcome: string, reason: string): void {
    this.#metrics.serverRequests.inc({ backend, method: metricMethod(request.method), via, outcome, reason });
  }
}

/** MCP 2026-07-28's MissingRequiredClientCapability error: the data names what the client would have to declare. */
export function missingCapability(capability: keyof ClientCapabilities, message: string): RequestError {
  return new RequestError(MISSING_REQUIRED_CLIENT_CAPABILITY, message, { requiredCapabilities: { [capability]: {} } });
}
