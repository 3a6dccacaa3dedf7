// Composition of one backend session: HTTP client, outgoing auth, protocol, the machine's production actors, the
// actor on the real clock. Used by `mcpre probe` and the session benchmarks; the gateway's Backend adapter is meant
// to be built on this same function (one call per backend, or per client identity for tokenExchange backends).
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { createActor, type InspectionEvent, type Observer, waitFor } from 'xstate';
import { NO_OUTGOING_AUTH } from '../actors/mcp/auth/outgoing-auth.ts';
import type { OutgoingAuth } from '../actors/mcp/auth/types.ts';
import type { ActorClock } from '../actors/mcp/clock.ts';
import { createHttpClient, type HttpClient } from '../actors/mcp/http/http-client.ts';
import { createMcpProtocol, type McpProtocolOptions } from '../actors/mcp/mcp-protocol.ts';
import type { TransportKind } from '../actors/mcp/protocol.ts';
import { createBackendSessionActors } from '../actors/mcp/session-actors.ts';
import { backendSessionMachine } from '../machines/backend-session.ts';
import type { SessionPolicy } from '../machines/backend-session-policy.ts';
import type { BackendSessionActor } from '../machines/backend-session-requests.ts';
import { sessionPhase, sessionReason, streamPhase } from '../machines/backend-session-status.ts';
import { systemClock } from './clock.ts';
import { childLogger } from './logging.ts';
import { type Rng, systemRng } from './random.ts';
import { traceHooks } from './tracing/tracing.ts';

export interface StartBackendSessionOptions {
  backendId: string;
  url: string;
  transport?: TransportKind;
  auth?: OutgoingAuth;
  /** Shared HTTP client; when absent one is created (with `caBundlePem`) and closed with the session. */
  http?: HttpClient;
  caBundlePem?: string;
  caBundleSource?: string;
  log: Logger;
  clock?: ActorClock;
  rng?: Rng;
  policy?: Partial<SessionPolicy>;
  requestTimeoutMs?: number;
  /** Client capabilities declared to the backend (e.g. `sampling` when the owner relays server requests). */
  capabilities?: ClientCapabilities;
  /** Who answers server requests that arrive outside any request (the GET stream); refused without it. */
  onUnrelatedServerRequest?: McpProtocolOptions['onUnrelatedServerRequest'];
  clientInfo?: Implementation;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface RunningBackendSession {
  actor: BackendSessionActor;
  /** Send `close` (DELETE the session where there is one) and wait until the actor is done, bounded. */
  stop(timeoutMs?: number): Promise<void>;
}

/** One log line per change of the session's phase or GET-stream phase, with the reason (never a secret: reasons are
 * built from statuses and our own words). */
function logTransitions(actor: BackendSessionActor, log: Logger): void {
  let last = '';
  actor.subscribe({
    next: (snapshot) => {
      const phase = sessionPhase(snapshot);
      const stream = streamPhase(snapshot);
      const key = `${JSON.stringify(snapshot.value)}|${stream}`;
      if (key === last) return;
      last = key;
      const { context } = snapshot;
      const fields = {
        phase,
        state: snapshot.value,
        stream,
        protocolVersion: context.session?.protocolVersion,
        consecutiveFailures: context.consecutiveFailures,
        reason: sessionReason(snapshot),
      };
      if (phase === 'failed') log.error(fields, 'backend session failed');
      else if (phase === 'backoff' || phase === 'unavailable') log.warn(fields, 'backend session not available');
      else log.debug(fields, 'backend session state');
    },
    error: (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'session actor error'),
  });
}

const machines = new WeakMap<Logger, ReturnType<typeof backendSessionMachine.provide>>();

/** One provided machine per logger, shared by every session that logs there (a chart copy costs ~50 KiB). */
function providedMachine(log: Logger) {
  let machine = machines.get(log);
  if (!machine) {
    machine = backendSessionMachine.provide({ actors: createBackendSessionActors({ log }) });
    machines.set(log, machine);
  }
  return machine;
}

export function startBackendSession(options: StartBackendSessionOptions): RunningBackendSession {
  const ownHttp = options.http === undefined;
  const clock = options.clock ?? systemClock;
  const http =
    options.http ??
    createHttpClient({
      clock,
      caBundlePem: options.caBundlePem,
      caBundleSource: options.caBundleSource,
      trace: traceHooks(),
    });
  const log = childLogger(options.log, { backend: options.backendId });
  const protocol = createMcpProtocol({
    url: options.url,
    transport: options.transport ?? 'streamable-http',
    http,
    auth: options.auth ?? NO_OUTGOING_AUTH.forSession(),
    clock,
    log,
    requestTimeoutMs: options.requestTimeoutMs,
    capabilities: options.capabilities,
    onUnrelatedServerRequest: options.onUnrelatedServerRequest,
    clientInfo: options.clientInfo,
  });
  const actor = createActor(providedMachine(options.log), {
    clock,
    id: options.backendId,
    systemId: `backend:${options.backendId}`,
    input: { backendId: options.backendId, rng: options.rng ?? systemRng(), policy: options.policy, protocol },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  logTransitions(actor, log);
  actor.start();
  return {
    actor,
    async stop(timeoutMs = 5000) {
      if (actor.getSnapshot().status === 'active') {
        actor.send({ type: 'close' });
        await waitFor(actor, (s) => s.status === 'done', { timeout: timeoutMs }).catch(() => {});
      }
      actor.stop();
      if (ownHttp) await http.close().catch(() => {});
    },
  };
}
