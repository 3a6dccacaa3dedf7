// Routing: a client request for an aggregated name goes to the backend that owns it, under the backend's own name.
// Progress and logging the backend sends for that request are relayed to the client with the client's own progress
// token; a client cancellation aborts the backend request. Every forwarded request gives one audit line and metrics.
// Errors go out as RequestError (forward-errors.ts): saying where they happened, each prefix once.
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  ClientCapabilities,
  LoggingLevel,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode } from '../api/mcp-errors.ts';
import { tracedDecision, tracing } from '../runtime/tracing/tracing.ts';
import { routeResource } from './aggregate.ts';
import type { Aggregator } from './aggregator.ts';
import { type AuditSink, auditableUrl } from './audit.ts';
import type { Authorizer, AuthzAction } from './authz.ts';
import { BackendRequestError, type ClientIdentity } from './backend.ts';
import { BackendCallTrace } from './backend-call-trace.ts';
import { forwardFailure, RequestError, unrelayable } from './forward-errors.ts';
import { fulfilInputRequired, isInputRequired } from './input-required.ts';
import type { GatewayMetrics } from './metrics.ts';
import { missingCapability, type RelayCaller, type ServerRequestRelays } from './server-requests.ts';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
/** sendRequest's result schema: both eras' handlers ignore it, a client's answer is relayed as the client sent it. */
const ANSWER_AS_SENT = undefined as never;

export interface RouterDeps {
  aggregator: Aggregator;
  audit: AuditSink;
  metrics: GatewayMetrics;
  requestTimeoutMs?: number;
  /** Cedar policies; without one every authenticated client may use everything. */
  authorizer?: Authorizer;
  /** Who answers the requests backends send to clients during calls. */
  relays: ServerRequestRelays;
}

/** Per-session state the router needs: the log level the client asked for, and what the client declared. */
export interface SessionLogState {
  level: LoggingLevel | undefined;
  clientCapabilities?: () => ClientCapabilities | undefined;
  /** 2026-07-28 clients take a backend's `input_required` result themselves; 2025 ones have the gateway ask them. */
  takesInputRequired?: boolean;
}

const levels: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

type Params = Record<string, unknown>;

export class Router {
  readonly #deps: RouterDeps;

  constructor(deps: RouterDeps) {
    this.#deps = deps;
  }

  async callTool(params: { name: string } & Params, extra: Extra, log: SessionLogState) {
    this.#deps.aggregator.flush();
    const route = this.#deps.aggregator.view.toolRoutes.get(params.name);
    if (!route) throw new RequestError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
    this.#authorize(extra, 'call_tool', params.name, route.backend, 'tools/call', params.arguments);
    return this.#forward(route.backend, 'tools/call', { ...params, name: route.originalName }, params.name, extra, log);
  }

  async getPrompt(params: { name: string } & Params, extra: Extra, log: SessionLogState) {
    this.#deps.aggregator.flush();
    const route = this.#deps.aggregator.view.promptRoutes.get(params.name);
    if (!route) throw new RequestError(ErrorCode.InvalidParams, `Unknown prompt: ${params.name}`);
    this.#authorize(extra, 'get_prompt', params.name, route.backend, 'prompts/get', params.arguments);
    return this.#forward(
      route.backend,
      'prompts/get',
      { ...params, name: route.originalName },
      params.name,
      extra,
      log,
    );
  }

  async readResource(params: { uri: string } & Params, extra: Extra, log: SessionLogState) {
    this.#deps.aggregator.flush();
    const backend = routeResource(this.#deps.aggregator.view, params.uri);
    // -32002 is the spec's "resource not found".
    if (!backend)
      throw new RequestError(-32002, `Resource not found: no backend serves ${params.uri}`, { uri: params.uri });
    this.#authorize(extra, 'read_resource', params.uri, backend, 'resources/read');
    return this.#forward(backend, 'resources/read', params, params.uri, extra, log);
  }

  async complete(
    params: { ref: { type: string; name?: string; uri?: string } } & Params,
    extra: Extra,
    log: SessionLogState,
  ) {
    this.#deps.aggregator.flush();
    const { ref } = params;
    if (ref.type === 'ref/prompt' && typeof ref.name === 'string') {
      const route = this.#deps.aggregator.view.promptRoutes.get(ref.name);
      if (!route) throw new RequestError(ErrorCode.InvalidParams, `Unknown prompt: ${ref.name}`);
      this.#authorize(extra, 'get_prompt', ref.name, route.backend, 'completion/complete');
      const forwarded = { ...params, ref: { ...ref, name: route.originalName } };
      return this.#forward(route.backend, 'completion/complete', forwarded, ref.name, extra, log);
    }
    if (ref.type === 'ref/resource' && typeof ref.uri === 'string') {
      const backend = routeResource(this.#deps.aggregator.view, ref.uri);
      if (!backend) throw new RequestError(ErrorCode.InvalidParams, `Unknown resource template: ${ref.uri}`);
      this.#authorize(extra, 'read_resource', ref.uri, backend, 'completion/complete');
      return this.#forward(backend, 'completion/complete', params, ref.uri, extra, log);
    }
    throw new RequestError(ErrorCode.InvalidParams, `Unsupported completion reference type: ${String(ref.type)}`);
  }

  /** Whether lists differ between callers (an authorization policy filters them). */
  get filtersByCaller(): boolean {
    return this.#deps.authorizer !== undefined;
  }

  /** Whether the caller may see this item in a list (the same policy as using it, without arguments). */
  visible(extra: Extra, action: AuthzAction, name: string): boolean {
    const { authorizer } = this.#deps;
    if (!authorizer) return true;
    const identity = identityOf(extra);
    return authorizer.allowed({ subject: identity.subject, claims: claimsOf(extra), action, resource: name });
  }

  #authorize(extra: Extra, action: AuthzAction, name: string, backendName: string, method: string, args?: unknown) {
    const { authorizer, aggregator, audit } = this.#deps;
    if (!authorizer) return;
    const subject = identityOf(extra).subject;
    const decide = () =>
      authorizer.allowed({
        subject,
        claims: claimsOf(extra),
        action,
        resource: name,
        args: args && typeof args === 'object' ? (args as Record<string, unknown>) : undefined,
      });
    const allowed = tracing.on
      ? tracedDecision(
          'authorize',
          { 'mcpre.authz.action': action, 'mcpre.authz.resource': name },
          'mcpre.authz.allowed',
          decide,
        )
      : decide();
    if (allowed) return;
    const backend = aggregator.backend(backendName);
    audit({
      client: subject,
      session: extra.sessionId,
      method,
      target: name,
      backend: backendName,
      remoteUrl: backend ? auditableUrl(backend.info.url) : '',
      authMethod: backend?.info.authMethod ?? 'unauthenticated',
      outcome: 'denied',
      remoteStatus: undefined,
      durationMs: 0,
    });
    this.#deps.metrics.backendCalls.inc({ backend: backendName, method, outcome: 'denied' });
    throw new RequestError(ErrorCode.InvalidRequest, `Forbidden: ${action} ${name} is not allowed for ${subject}`);
  }

  async #forward(
    backendName: string,
    method: string,
    params: Params,
    target: string,
    extra: Extra,
    log: SessionLogState,
  ): Promise<Record<string, unknown>> {
    const { aggregator, audit, metrics } = this.#deps;
    const backend = aggregator.backend(backendName);
    if (!backend) throw new RequestError(ErrorCode.InternalError, `backend "${backendName}" is no longer configured`);

    const downstreamToken = (params._meta as { progressToken?: string | number } | undefined)?.progressToken;
    const forwarded = withoutProgressToken(params);
    const identity = identityOf(extra);
    const started = performance.now();
    // Requests the backend sends while serving this call go to this call's client (server-requests.ts).
    const caller: RelayCaller = {
      session: extra.sessionId,
      subject: identity.subject,
      capabilities: () => log.clientCapabilities?.(),
      perRequestCapabilities: log.takesInputRequired,
      send: (request, signal) =>
        extra.sendRequest(request as ServerRequest, ANSWER_AS_SENT, {
          signal: AbortSignal.any([extra.signal, signal]),
        }) as Promise<Record<string, unknown>>,
      notes: [],
    };
    const untrack = this.#deps.relays.track(backendName, caller);
    const trace = tracing.on ? new BackendCallTrace(backend, method, forwarded) : undefined;
    const record = (outcome: 'ok' | 'error' | 'cancelled', remoteStatus: number | undefined, error?: string) => {
      untrack();
      trace?.end(outcome, remoteStatus, error);
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      // Counted and audited once the answer is on its way: neither changes it, and both cost the client time.
      afterAnswer(() => {
        metrics.backendCalls.inc({ backend: backendName, method, outcome });
        metrics.backendCallSeconds.observe({ backend: backendName, method }, durationMs / 1000);
        audit({
          client: identity.subject,
          session: extra.sessionId,
          method,
          target,
          backend: backendName,
          remoteUrl: auditableUrl(backend.info.url),
          authMethod: backend.info.authMethod,
          outcome,
          remoteStatus,
          durationMs,
          ...(error !== undefined ? { error } : {}),
          ...(caller.notes.length > 0 ? { serverRequests: caller.notes } : {}),
        });
      });
    };

    const send = (sent: Params) => (trace ? trace.run(() => request(trace.params(sent))) : request(sent));
    const request = (sent: Params) =>
      backend.request(method, sent, {
        signal: extra.signal,
        identity,
        clientCapabilities: this.#deps.relays.declaredFor(log.clientCapabilities?.()),
        timeoutMs: this.#deps.requestTimeoutMs,
        onProgress:
          downstreamToken === undefined
            ? undefined
            : (p) =>
                void extra
                  .sendNotification({
                    method: 'notifications/progress',
                    params: { ...p, progressToken: downstreamToken },
                  })
                  .catch(() => {}),
        onServerRequest: (request, signal) => {
          const relay = () => this.#deps.relays.relayAttached(backendName, caller, request, signal);
          return trace ? trace.relay(request.method, relay) : relay();
        },
        onLog: (entry) => {
          if (log.level && levels.indexOf(entry.level) < levels.indexOf(log.level)) return;
          void extra.sendNotification({ method: 'notifications/message', params: entry }).catch(() => {});
        },
      });

    let answer: Awaited<ReturnType<typeof backend.request>>;
    try {
      answer = await send(forwarded);
      if (isInputRequired(answer.result) && !log.takesInputRequired) {
        const result = await fulfilInputRequired(answer.result, {
          backend: backendName,
          method,
          ask: (request) => {
            const relay = () => this.#deps.relays.relayInput(backendName, caller, request, extra.signal);
            return trace ? trace.relay(request.method, relay) : relay();
          },
          retry: async (more) => {
            answer = await send({ ...forwarded, ...more });
            return answer.result;
          },
        });
        answer = { ...answer, result };
      }
    } catch (err) {
      const httpStatus = err instanceof BackendRequestError ? err.httpStatus : undefined;
      // The call failed because it needed something the client did not declare: say that, whatever the backend made
      // of the refusal.
      const failure =
        caller.missing && caller.perRequestCapabilities
          ? missingCapability(
              caller.missing,
              `backend "${backendName}" needs the ${caller.missing} capability for ${method}, which the client did not declare`,
            )
          : forwardFailure(backendName, method, err);
      record(extra.signal.aborted ? 'cancelled' : 'error', httpStatus, failure.message);
      throw failure;
    }
    const { result, report } = answer;
    const checked = unrelayable(backendName, method, forwarded, result);
    const failure = checked instanceof Promise ? await checked : checked;
    if (failure) {
      record('error', report.httpStatus, failure.message);
      throw failure;
    }
    record('ok', report.httpStatus);
    return result;
  }
}

/** Work for after the answers of this turn of the event loop are written: run together in its check phase. */
const pending: Array<() => void> = [];

function afterAnswer(work: () => void): void {
  if (pending.push(work) === 1) setImmediate(runPending);
}

function runPending(): void {
  // Work queued while running waits for the next turn, with the answers it follows.
  for (const work of pending.splice(0)) {
    try {
      work();
    } catch (err) {
      // Bookkeeping that failed must not take the others (or the process) with it.
      process.emitWarning(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

function claimsOf(extra: Extra): Record<string, unknown> | undefined {
  return extra.authInfo?.extra?.claims as Record<string, unknown> | undefined;
}

/** The params of a request that names its target (`name` or `uri`), checked: the router's callers in both eras. */
export function named<K extends 'name' | 'uri'>(params: Params, field: K): Params & Record<K, string> {
  if (typeof params[field] !== 'string') {
    throw new RequestError(ErrorCode.InvalidParams, `Invalid params: ${field} must be a string`);
  }
  return params as Params & Record<K, string>;
}

/** The params of `completion/complete`, checked: `ref` is an object with a `type` (both eras' dispatch). */
export function completionParams(params: Params): Parameters<Router['complete']>[0] {
  const ref = params.ref as { type?: unknown } | undefined;
  if (!ref || typeof ref !== 'object' || typeof ref.type !== 'string') {
    throw new RequestError(ErrorCode.InvalidParams, 'Invalid params: ref must be an object with a type');
  }
  return params as Parameters<Router['complete']>[0];
}

export function identityOf(extra: Pick<Extra, 'authInfo'>): ClientIdentity {
  const subject = (extra.authInfo?.extra?.subject as string | undefined) ?? extra.authInfo?.clientId ?? 'anonymous';
  return extra.authInfo?.token ? { subject, token: extra.authInfo.token } : { subject };
}

/** The backend never sees the client's progress token: the backend client issues its own and we map back. */
function withoutProgressToken(params: Params): Params {
  const meta = params._meta as Record<string, unknown> | undefined;
  if (!meta || !('progressToken' in meta)) return params;
  const { progressToken: _drop, ...rest } = meta;
  const copy = { ...params };
  if (Object.keys(rest).length > 0) copy._meta = rest;
  else delete copy._meta;
  return copy;
}
