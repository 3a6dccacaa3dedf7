// What a gateway reports about its backends (THV-0067 asks that a person see the session side of an endpoint without
// reading logs): each backend's session state and circuit into the VirtualMCPServer's status.backends, and the same
// onto each MCPRemoteEndpoint's status.session (shown by `kubectl get mcpre`). Pure: the reporter in
// src/gateway/vmcp-status-reporter.ts reads the gateway and writes what these functions compute.
import type {
  BackendSessionState,
  CircuitState,
  MCPRemoteEndpointSessionStatus,
  VirtualMCPServerBackendStatus,
} from '../generated/index.ts';

/** One backend as the gateway sees it (the gateway's BackendStatus, structurally). */
export interface GatewayBackendReport {
  name: string;
  type: 'direct' | 'proxy';
  /** connecting | ready | reinitializing | backoff | unavailable | failed | closed | excluded | standby */
  state: string;
  reason?: string;
  /** The protocol revision agreed with the backend, while its session is ready. */
  protocolVersion?: string;
}

const MAX_MESSAGE = 1024;

/** The reported state, or null for states a gateway does not report (standby replicas, closed at shutdown). */
export function sessionStateOf(state: string): BackendSessionState | null {
  switch (state) {
    case 'connecting':
      return 'Connecting';
    case 'ready':
      return 'Ready';
    case 'reinitializing':
      return 'Reinitializing';
    case 'backoff':
      return 'Backoff';
    case 'unavailable':
      return 'Unavailable';
    // Left out at startup (a missing secret, an unreadable CA): the gateway will not call it, which is a failure.
    case 'failed':
    case 'excluded':
      return 'Failed';
    default:
      return null;
  }
}

/** The circuit opens when the session gives up after repeated failures (`unavailable`); otherwise it is closed. */
export function circuitOf(state: string): CircuitState {
  return state === 'unavailable' ? 'Open' : 'Closed';
}

export interface BackendReport {
  /** status.backends, sorted by endpoint name. */
  backends: VirtualMCPServerBackendStatus[];
  backendCount: number;
  /** status.session per endpoint name, for backends that map to an endpoint of the group. */
  sessions: Map<string, MCPRemoteEndpointSessionStatus>;
}

/**
 * Builds the report. `endpointOf` maps a gateway backend name to its MCPRemoteEndpoint (undefined for a backend not
 * from the group, for example a hand-written config). lastTransitionTime moves only when the state changes.
 */
export function buildBackendReport(
  reports: readonly GatewayBackendReport[],
  endpointOf: (backend: string) => string | undefined,
  previous: {
    backends?: readonly VirtualMCPServerBackendStatus[];
    sessions?: ReadonlyMap<string, MCPRemoteEndpointSessionStatus | undefined>;
  },
  now: string,
  reportedBy: string,
): BackendReport {
  const prevByName = new Map((previous.backends ?? []).map((b) => [b.name, b]));
  const backends: VirtualMCPServerBackendStatus[] = [];
  const sessions = new Map<string, MCPRemoteEndpointSessionStatus>();
  for (const r of reports) {
    const state = sessionStateOf(r.state);
    if (!state) continue;
    const endpoint = endpointOf(r.name);
    const name = endpoint ?? r.name;
    const circuit = circuitOf(r.state);
    const message = r.reason ? truncate(r.reason) : undefined;
    // Always one of the revisions the gateway speaks (a session on any other is refused), so well within the CRDs' limit.
    const revision = r.protocolVersion ? { protocolVersion: r.protocolVersion } : {};
    const prev = prevByName.get(name);
    const entry: VirtualMCPServerBackendStatus = {
      name,
      ...(name !== r.name ? { backend: r.name } : {}),
      type: r.type,
      state,
      circuit,
      lastTransitionTime: prev?.state === state && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      ...(message ? { message } : {}),
      ...revision,
    };
    backends.push(entry);
    if (endpoint !== undefined) {
      const prevSession = previous.sessions?.get(endpoint);
      sessions.set(endpoint, {
        state,
        circuit,
        lastTransitionTime:
          prevSession?.state === state && prevSession.lastTransitionTime ? prevSession.lastTransitionTime : now,
        ...(message ? { message } : {}),
        ...revision,
        reportedBy,
      });
    }
  }
  backends.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { backends, backendCount: backends.filter((b) => b.state === 'Ready').length, sessions };
}

/** True when two session statuses say the same thing (field order does not matter). */
export function sameSession(
  a: MCPRemoteEndpointSessionStatus | undefined,
  b: MCPRemoteEndpointSessionStatus | undefined,
): boolean {
  return (
    (a?.state ?? null) === (b?.state ?? null) &&
    (a?.circuit ?? null) === (b?.circuit ?? null) &&
    (a?.message ?? null) === (b?.message ?? null) &&
    (a?.protocolVersion ?? null) === (b?.protocolVersion ?? null) &&
    (a?.reportedBy ?? null) === (b?.reportedBy ?? null) &&
    (a?.lastTransitionTime ?? null) === (b?.lastTransitionTime ?? null)
  );
}

/** True when two backend lists say the same thing. */
export function sameBackends(
  a: readonly VirtualMCPServerBackendStatus[] | undefined,
  b: readonly VirtualMCPServerBackendStatus[] | undefined,
): boolean {
  const canon = (list: readonly VirtualMCPServerBackendStatus[] | undefined) =>
    JSON.stringify(
      (list ?? []).map((x) => [
        x.name,
        x.backend ?? null,
        x.type ?? null,
        x.state,
        x.circuit ?? null,
        x.message ?? null,
        x.protocolVersion ?? null,
        x.lastTransitionTime ?? null,
      ]),
    );
  return canon(a) === canon(b);
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}
