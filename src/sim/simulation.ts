// `mcpre sim`: the production operator (informers, reference index, endpoint actors, effects, write queue) running on
// virtual time against the in-memory API server, with seeded faults and a seeded script of changes. One seed gives
// one interleaving and one JSONL log, byte for byte. Invariants are checked as it goes; the run stops at the first
// violation with the seed, the step and the log.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createActor, type InspectionEvent } from 'xstate';
import { createBackendSessionActors } from '../actors/mcp/session-actors.ts';
import { makeControlPlaneCerts } from '../control-plane/certs.ts';
import { startOperatorControllers } from '../controllers/operator.ts';
import { backendSessionMachine } from '../machines/backend-session.ts';
import { DEFAULT_SESSION_POLICY } from '../machines/backend-session-policy.ts';
import { type BackendSessionActor, withBackendSession } from '../machines/backend-session-requests.ts';
import { Manager } from '../runtime/kube/manager.ts';
import { seededRng } from '../runtime/random.ts';
import { CircuitBreakerCheck, checkBackendsSettled } from './backend-invariants.ts';
import { startDeploymentController } from './deployment-controller.ts';
import { ListenReopenCheck } from './era-invariants.ts';
import { EventLog, type EventLogOutput } from './event-log.ts';
import { type ApiFaults, FakeApiServer, NO_FAULTS } from './fake-apiserver.ts';
import { fakeKubeHttp } from './fake-kube-http.ts';
import {
  checkGroupMembership,
  checkLogs,
  checkReadyReferences,
  checkStatusUrls,
  StatusUrlChecker,
  type Violation,
} from './invariants.ts';
import { applyMutation } from './mutations.ts';
import {
  baseObjects,
  endpointObject,
  endpointValidation,
  KNOWN_RESOURCES,
  NS,
  nextMutation,
  R,
  type ScenarioState,
  SECRET_VALUE,
  STATUS_RESOURCES,
  vmcpObject,
} from './scenario.ts';
import { SimScheduler } from './scheduler.ts';
import { BACKEND_FAULTS, SimBackend } from './sim-backend.ts';
import { checkReadyVmcps, vmcpReady } from './vmcp-invariants.ts';

/** The image the simulated operator deploys its proxies and gateways with. */
const SIM_IMAGE = 'mcpre:sim';

export const FAULT_PROFILES: Record<string, ApiFaults> = {
  none: NO_FAULTS,
  default: { conflict: 0.02, throttle: 0.01, serverError: 0.02, latencyMs: [1, 50], watchDisconnect: 0.01 },
  harsh: { conflict: 0.1, throttle: 0.05, serverError: 0.1, latencyMs: [1, 500], watchDisconnect: 0.05 },
};

export interface SimOptions {
  seed: number;
  durationMs: number;
  /** MCPRemoteEndpoints at the start; the script creates and deletes them around this count. */
  endpoints: number;
  /** VirtualMCPServers at the start (the script creates, moves and deletes them around this count); 3 by default. */
  vmcps?: number;
  /** Simulated MCP backends, each with a backend-session actor. */
  backends?: number;
  /** The share of the backends (chosen by the seed) that speak MCP 2026-07-28 instead of 2025; a third by default. */
  modernShare?: number;
  faults: string;
  /** Fault-free time at the end for the operator to converge before the settled invariants are checked. */
  quietMs?: number;
  maxSteps?: number;
  /**
   * Test hooks that the invariants must catch: `status` (or true): a rogue writer corrupts one endpoint's status.url
   * at a seeded moment; `session`: a rogue caller reuses a connection after its 404.
   */
  injectBug?: boolean | 'status' | 'session';
  /** Where the event log's lines go: kept in the result's log (the default), and/or handed over one by one. */
  logOutput?: EventLogOutput;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violations: Violation[];
  /** The scheduler step at which the first violation was seen. */
  failedAtStep: number | undefined;
  steps: number;
  simulatedMs: number;
  log: EventLog;
  apiStats: Record<string, number>;
  endpointsReady: number;
  endpointsTotal: number;
  vmcpsReady: number;
  vmcpsTotal: number;
  backends: {
    name: string;
    era: SimBackend['era'];
    state: unknown;
    tools: number;
    stats: SimBackend['stats'];
    calls: { ok: number; failed: number };
  }[];
}

const CA_PEM = makeControlPlaneCerts(new Date(0)).then((c) => c.servingCa.certPem);

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration "${s}": use e.g. 90s, 30m, 24h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

export { parseDuration };

/** Which backends speak 2026-07-28: exactly round(count * share) of them, picked by the seed. */
function modernBackends(count: number, share: number, rng: { next(): number }): Set<number> {
  const keyed = Array.from({ length: count }, (_, i) => ({ i, key: rng.next() }));
  keyed.sort((a, b) => a.key - b.key);
  return new Set(keyed.slice(0, Math.round(count * share)).map((k) => k.i));
}

export async function runSimulation(opts: SimOptions): Promise<SimResult> {
  const faults = FAULT_PROFILES[opts.faults];
  if (!faults) throw new Error(`unknown fault profile "${opts.faults}"; use ${Object.keys(FAULT_PROFILES).join(', ')}`);
  const quietMs = opts.quietMs ?? 15 * 60_000;
  const maxSteps = opts.maxSteps ?? 2_000_000;
  const vmcps = opts.vmcps ?? 3;
  const modernShare = opts.modernShare ?? 1 / 3;
  if (!(modernShare >= 0 && modernShare <= 1)) throw new Error(`modernShare must be in [0, 1], got ${modernShare}`);
  // Independent streams, so adding a draw in one place does not reshuffle every other decision.
  const scheduler = new SimScheduler(seededRng(opts.seed));
  const scenarioRng = seededRng(opts.seed * 31 + 1);
  const api = new FakeApiServer({
    scheduler,
    rng: seededRng(opts.seed * 31 + 2),
    faults,
    statusSubresource: STATUS_RESOURCES,
    knownResources: KNOWN_RESOURCES,
    validate: endpointValidation,
  });
  const log = new EventLog(
    {
      seed: String(opts.seed),
      durationMs: opts.durationMs,
      endpoints: opts.endpoints,
      vmcps,
      backends: opts.backends ?? 0,
      modernShare,
      faults: opts.faults,
      quietMs,
      injectBug: opts.injectBug === true ? 'status' : (opts.injectBug ?? false),
    },
    opts.logOutput,
  );
  const violations: Violation[] = [];
  let failedAtStep: number | undefined;
  const fail = (found: Violation[]) => {
    if (!found.length) return;
    violations.push(...found);
    failedAtStep ??= scheduler.steps;
    for (const v of found) log.append({ t: scheduler.now(), actor: 'check', event: v.invariant, detail: v.detail });
  };

  const statusUrls = new StatusUrlChecker(api);
  for (const { resource, object } of baseObjects(await CA_PEM)) api.createNow(resource, object);
  const state: ScenarioState = {
    endpoints: [],
    vmcps: [],
    endpointTarget: opts.endpoints,
    vmcpTarget: vmcps,
    nextEndpoint: 0,
    nextVmcp: 0,
  };
  for (; state.nextEndpoint < opts.endpoints; state.nextEndpoint++)
    api.createNow(R.endpoint, endpointObject(scenarioRng, state.nextEndpoint));
  for (; state.nextVmcp < vmcps; state.nextVmcp++) api.createNow(R.vmcp, vmcpObject(scenarioRng, state.nextVmcp));

  // The operator's log lines since the last step's check; checked for secrets, then dropped.
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'debug', timestamp: false, base: undefined }, sink);

  const states = new Map<string, string>();
  const breaker = new CircuitBreakerCheck(DEFAULT_SESSION_POLICY.breakerThreshold);
  const listen = new ListenReopenCheck(DEFAULT_SESSION_POLICY.maxBackoffMs);
  const inspect = (ev: InspectionEvent) => {
    if (ev.type !== '@xstate.snapshot') return;
    const ref = ev.actorRef as { options?: { systemId?: string }; logic?: { root?: unknown } };
    const id = ref.options?.systemId;
    if (!id || !ref.logic?.root) return;
    const stateValue = (ev.snapshot as { value?: unknown }).value;
    const value = JSON.stringify(stateValue);
    const previous = states.get(id);
    if (previous === value) return;
    states.set(id, value);
    if (id.startsWith('backend:')) {
      const failures = (ev.snapshot as { context?: { consecutiveFailures?: number } }).context?.consecutiveFailures;
      fail(breaker.observe(id, previous, value, failures));
      if (!value.includes('"ready"')) listen.left(id.slice('backend:'.length));
    }
    log.append({
      t: scheduler.now(),
      actor: id,
      event: String((ev.event as { type?: string }).type ?? ''),
      state: stateValue,
    });
  };

  startDeploymentController(api, scheduler, seededRng(opts.seed * 31 + 3));
  // Every controller of `mcpre operator`, on one manager, as a pod runs them.
  const manager = new Manager({
    http: fakeKubeHttp(api),
    clock: scheduler,
    rng: seededRng(opts.seed * 31 + 4),
    namespace: NS,
    writes: { concurrency: 8 },
    log: (level, msg, fields) => logger[level](fields ?? {}, msg),
  });
  const controllers = startOperatorControllers(manager, {
    logger,
    image: SIM_IMAGE,
    instance: 'sim',
    resyncMs: 5 * 60_000,
    inspect,
  });
  void manager.start();
  const operator = {
    ready: Promise.all(Object.values(controllers).map((c) => c.ready)),
  };
  operator.ready.catch((err: unknown) => fail([{ invariant: 'operatorStarts', detail: String(err) }]));

  // Backends, each with the production backend-session chart and effect actors over a simulated BackendProtocol.
  const backendFaults = BACKEND_FAULTS[opts.faults] ?? BACKEND_FAULTS.default!;
  const sessionMachine = backendSessionMachine.provide({ actors: createBackendSessionActors({ log: logger }) });
  const modern = modernBackends(opts.backends ?? 0, modernShare, seededRng(opts.seed * 31 + 5));
  const listenObserver = {
    broken: (name: string, retryMs?: number) => listen.broken(name, scheduler.now(), retryMs),
    attempted: (name: string) => listen.attempted(name),
  };
  const backends = Array.from({ length: opts.backends ?? 0 }, (_, i) => {
    const backend = new SimBackend(`b${i}`, scheduler, seededRng(opts.seed * 31 + 100 + i), backendFaults, {
      era: modern.has(i) ? 'modern' : 'legacy',
      listen: listenObserver,
    });
    const actor = createActor(sessionMachine, {
      input: { backendId: backend.name, rng: seededRng(opts.seed * 31 + 200 + i), protocol: backend.protocol() },
      clock: scheduler,
      inspect,
      systemId: `backend:${backend.name}`,
    });
    actor.start();
    const calls = { ok: 0, failed: 0 };
    const callerRng = seededRng(opts.seed * 31 + 300 + i);
    const call = () => {
      scheduler.schedule(`caller.${backend.name}`, 5000 + Math.floor(callerRng.next() * 25_000), () => {
        if (scheduler.now() >= opts.durationMs + quietMs) return;
        const params = { name: 'tool0', arguments: {} };
        const rogue = opts.injectBug === 'session';
        withBackendSession(actor as BackendSessionActor, async (c) => {
          try {
            return await c.request('tools/call', params);
          } catch (err) {
            // The injected bug: try the dead connection once more instead of letting the session re-initialize.
            if (rogue && (err as { kind?: string }).kind === 'sessionLost')
              await c.request('tools/call', params).catch(() => {});
            throw err;
          }
        }).then(
          () => {
            calls.ok += 1;
          },
          () => {
            calls.failed += 1;
          },
        );
        call();
      });
    };
    call();
    return { backend, actor, calls };
  });

  // The scripted changes: one every 5-60 s of virtual time while faults are on.
  const names = (resource: string) => Array.from(api.view(resource), (e) => e.metadata.name).sort();
  const scheduleMutation = () => {
    scheduler.schedule('scenario', 5000 + Math.floor(scenarioRng.next() * 55_000), () => {
      if (scheduler.now() >= opts.durationMs) return;
      state.endpoints = names(R.endpoint);
      state.vmcps = names(R.vmcp);
      const m = nextMutation(scenarioRng, state);
      if (m.kind === 'createEndpoint') state.nextEndpoint += 1;
      if (m.kind === 'createVmcp') state.nextVmcp += 1;
      log.append({ t: scheduler.now(), actor: 'scenario', event: m.kind, detail: m });
      try {
        applyMutation(api, m, scenarioRng);
      } catch (err) {
        log.append({ t: scheduler.now(), actor: 'scenario', event: 'rejected', detail: String(err) });
      }
      scheduleMutation();
    });
  };
  scheduleMutation();
  if (opts.injectBug === true || opts.injectBug === 'status') {
    scheduler.schedule('rogue', Math.floor(opts.durationMs * (0.3 + 0.4 * scenarioRng.next())), () => {
      const victim = api.peekAll(R.endpoint).find((e) => (e.status as { url?: string } | undefined)?.url);
      if (!victim) return;
      log.append({ t: scheduler.now(), actor: 'rogue', event: 'corruptStatusUrl', detail: victim.metadata.name });
      api.updateNow(
        R.endpoint,
        { ...victim, status: { ...(victim.status as object), url: 'http://rogue.invalid' } },
        'status',
      );
    });
  }

  const afterStep = () => {
    fail(statusUrls.check());
    fail(listen.check(scheduler.now()));
    for (const { backend } of backends) if (backend.violations.length) fail(backend.violations.splice(0));
    if (logLines.length) {
      fail(checkLogs(logLines, [SECRET_VALUE]));
      logLines.length = 0;
    }
  };
  const runPhase = async (until: number) => {
    while (failedAtStep === undefined && scheduler.steps < maxSteps) {
      const task = await scheduler.step(until);
      if (!task) break;
      afterStep();
    }
  };

  await runPhase(opts.durationMs);
  if (failedAtStep === undefined) {
    api.faults = { ...NO_FAULTS, latencyMs: [1, 10] };
    for (const { backend } of backends) {
      backend.faults = {
        ...BACKEND_FAULTS.none!,
        sessionDropEveryMs: Number.POSITIVE_INFINITY,
        listChangeEveryMs: Number.POSITIVE_INFINITY,
      };
    }
    log.append({ t: scheduler.now(), actor: 'scenario', event: 'quiet' });
    await runPhase(opts.durationMs + quietMs);
    if (failedAtStep === undefined) {
      fail([
        ...checkReadyReferences(api),
        ...checkGroupMembership(api),
        ...checkStatusUrls(api),
        ...checkReadyVmcps(api, SIM_IMAGE),
        ...checkBackendsSettled(backends),
      ]);
    }
  }
  await manager.stop(0);
  const backendReport = backends.map(({ backend, actor, calls }) => ({
    name: backend.name,
    era: backend.era,
    state: actor.getSnapshot().value,
    tools: backend.tools.length,
    stats: { ...backend.stats },
    calls: { ...calls },
  }));
  for (const { actor } of backends) actor.stop();
  const endpoints = api.peekAll(R.endpoint);
  const endpointsReady = endpoints.filter((e) =>
    (e.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ),
  ).length;
  const vmcpObjects = api.peekAll(R.vmcp);
  const vmcpsReady = vmcpObjects.filter(vmcpReady).length;
  log.append({
    t: scheduler.now(),
    actor: 'sim',
    event: violations.length ? 'failed' : 'passed',
    detail: { ready: endpointsReady, total: endpoints.length, vmcpsReady, vmcps: vmcpObjects.length },
  });
  return {
    seed: opts.seed,
    ok: violations.length === 0,
    violations,
    failedAtStep,
    steps: scheduler.steps,
    simulatedMs: scheduler.now(),
    log,
    apiStats: Object.fromEntries([...api.stats.entries()].sort()),
    endpointsReady,
    endpointsTotal: endpoints.length,
    vmcpsReady,
    vmcpsTotal: vmcpObjects.length,
    backends: backendReport,
  };
}
