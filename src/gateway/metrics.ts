// The gateway's Prometheus series, on a registry of its own so that `mcpre up` (operator and gateway in one process)
// and tests with several gateways never collide on the global registry.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class GatewayMetrics {
  readonly registry = new Registry();

  readonly backendCalls = new Counter({
    name: 'mcpre_gateway_backend_calls_total',
    help: 'Requests the gateway forwarded to a backend, by backend, method and outcome (ok, error, cancelled).',
    labelNames: ['backend', 'method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly backendCallSeconds = new Histogram({
    name: 'mcpre_gateway_backend_call_duration_seconds',
    help: 'Time from receiving a client request to having the backend answer, by backend and method.',
    labelNames: ['backend', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly serverRequests = new Counter({
    name: 'mcpre_gateway_server_requests_total',
    help: "Requests backends sent to clients (sampling, elicitation, roots), by backend, method, where they arrived (call: on the call's response stream; stream: on the GET stream), outcome (relayed, refused, failed) and why refused (ambiguous, no-call, not-declared).",
    labelNames: ['backend', 'method', 'via', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly httpRejections = new Counter({
    name: 'mcpre_gateway_http_rejections_total',
    help: 'HTTP requests refused before reaching MCP, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly sessions = new Gauge({
    name: 'mcpre_gateway_client_sessions',
    help: 'Open downstream (client) MCP sessions.',
    registers: [this.registry],
  });

  readonly sessionsEvicted = new Counter({
    name: 'mcpre_gateway_client_sessions_evicted_total',
    help: "Idle client sessions closed to make room for a new one, by reason (client-quota: that client's quota; capacity: the gateway's cap).",
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  #eventStoreBytes: () => number = () => 0;

  readonly eventStoreBytes: Gauge = new Gauge({
    name: 'mcpre_gateway_event_store_bytes',
    help: 'Bytes (approximate serialized size) of SSE events kept for resumable streams, all sessions together.',
    registers: [this.registry],
    collect: (): void => this.eventStoreBytes.set(this.#eventStoreBytes()),
  });

  readonly eventStoreLost = new Counter({
    name: 'mcpre_gateway_event_store_lost_total',
    help: 'SSE events dropped before the client acknowledged them, by reason (session-limit, gateway-limit, ttl, too-large).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly backendsByState = new Gauge({
    name: 'mcpre_gateway_backends',
    help: 'Configured backends by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly backendState = new Gauge({
    name: 'mcpre_gateway_backend_state',
    help: 'One series per configured backend, value 1: its state and, when it is not ready, why (the /readyz reason).',
    labelNames: ['backend', 'state', 'reason'] as const,
    registers: [this.registry],
  });

  readonly listChanged = new Counter({
    name: 'mcpre_gateway_list_changed_total',
    help: 'Aggregate list changes announced to clients, by kind (one per change, not per client).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly advertised = new Gauge({
    name: 'mcpre_gateway_advertised_items',
    help: 'Items the gateway advertises, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly invalidToolNames = new Gauge({
    name: 'mcpre_gateway_invalid_tool_names',
    help: 'Backend tools not offered to clients because their name is not a valid MCP tool name, by backend (see /readyz).',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });

  readonly replicaActive = new Gauge({
    name: 'mcpre_gateway_replica_active',
    help: '1 while this replica holds the gateway Lease (or runs without one), 0 on standby.',
    registers: [this.registry],
  });

  /** Where the event store gauge reads its value when scraped. */
  measureEventStore(bytes: () => number): void {
    this.#eventStoreBytes = bytes;
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'mcpre_gateway_' });
  }

  // Retries of 2026-07-28 calls parked on another replica (modern/parked-call-relay.ts), from both ends.
  readonly parkedCallRelays = new Counter({
    name: 'mcpre_gateway_parked_call_relays_total',
    help: "Retries of 2026-07-28 calls parked on another replica that this replica relayed there, by outcome (answered: the holder's answer came back; cancelled: the client closed its response; lost: the holder went silent; holder-gone: no replica holds the call; store-unreachable; refused: too large or over the relay bounds, not sent; shutdown).",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly parkedCallRelaysServed = new Counter({
    name: 'mcpre_gateway_parked_call_relays_served_total',
    help: 'Retries relayed by another replica that this replica served for a call parked here, by outcome (answered; cancelled: by the relaying replica; relayer-gone: the answer reached no relaying replica, or nothing reached it for the silence limit and the call was cancelled; store-unreachable; shutdown).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  #parkedCallRelays: () => { relaying: number; serving: number } = () => ({ relaying: 0, serving: 0 });

  readonly parkedCallRelaysInFlight: Gauge<'side'> = new Gauge({
    name: 'mcpre_gateway_parked_call_relays_in_flight',
    help: 'Relayed retries of parked calls in flight, by side (relaying: sent from here, waiting for the holder; serving: resumed here for another replica).',
    labelNames: ['side'] as const,
    registers: [this.registry],
    collect: (): void => {
      const { relaying, serving } = this.#parkedCallRelays();
      this.parkedCallRelaysInFlight.set({ side: 'relaying' }, relaying);
      this.parkedCallRelaysInFlight.set({ side: 'serving' }, serving);
    },
  });

  #parkedCallRelaysMeasured = false;

  /**
   * Where the in-flight gauge reads its values when scraped: the one relay of this gateway. A second would silently
   * replace the first and the gauge would show part of the relays as all of them, so it is refused.
   */
  measureParkedCallRelays(read: () => { relaying: number; serving: number }): void {
    if (this.#parkedCallRelaysMeasured) {
      throw new Error('the parked-call relays of this gateway are already measured: one relay per GatewayMetrics');
    }
    this.#parkedCallRelaysMeasured = true;
    this.#parkedCallRelays = read;
  }
}
