// `mcpre sim`: the production operator (informers, reference index, endpoint actors, effects, write queue) running on
// virtual time against the in-memory API server, with seeded faults and a seeded script of changes. One seed gives
// one interleaving and one JSONL log, byte for byte. Invariants are checked as it goes; the run stops at the first
// violation with the seed, the step and the log.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { InspectionEvent } from 'xstate';
import { makeControlPlaneCerts } from '../control-plane/certs.ts';
import { startOperator } from '../operator/operator.ts';
import { seededRng } from '../random.ts';
import { EventLog } from './event-log.ts';
import { type ApiFaults, FakeApiServer, type KubeObject, NO_FAULTS } from './fake-apiserver.ts';
import { fakeKubeHttp } from './fake-kube-http.ts';
import {
  checkGroupMembership,
  checkLogs,
  checkReadyReferences,
  checkStatusUrls,
  type Violation,
} from './invariants.ts';
import {
  baseObjects,
  endpointObject,
  endpointValidation,
  KNOWN_RESOURCES,
  type Mutation,
  NS,
  nextMutation,
  R,
  SECRET_VALUE,
  STATUS_RESOURCES,
} from './scenario.ts';
import { SimScheduler } from './scheduler.ts';

export const FAULT_PROFILES: Record<string, ApiFaults> = {
  none: NO_FAULTS,
  default: { conflict: 0.02, throttle: 0.01, serverError: 0.02, latencyMs: [1, 50], watchDisconnect: 0.01 },
  harsh: { conflict: 0.1, throttle: 0.05, serverError: 0.1, latencyMs: [1, 500], watchDisconnect: 0.05 },
};

export interface SimOptions {
  seed: number;
  durationMs: number;
  endpoints: number;
  /** Simulated MCP backends, each with a backend-session actor. */
  backends?: number;
  faults: string;
  /** Fault-free time at the end for the operator to converge before the settled invariants are checked. */
  quietMs?: number;
  maxSteps?: number;
  /** Test hook: a rogue writer corrupts one endpoint's status.url at a seeded moment (the invariants must notice). */
  injectBug?: boolean;
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
}

const CA_PEM = makeControlPlaneCerts(new Date(0)).then((c) => c.servingCa.certPem);

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration "${s}": use e.g. 90s, 30m, 24h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

export { parseDuration };

export async function runSimulation(opts: SimOptions): Promise<SimResult> {
  const faults = FAULT_PROFILES[opts.faults];
  if (!faults) throw new Error(`unknown fault profile "${opts.faults}"; use ${Object.keys(FAULT_PROFILES).join(', ')}`);
  const quietMs = opts.quietMs ?? 15 * 60_000;
  const maxSteps = opts.maxSteps ?? 2_000_000;
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
  const log = new EventLog({
    seed: String(opts.seed),
    durationMs: opts.durationMs,
    endpoints: opts.endpoints,
    backends: opts.backends ?? 0,
    faults: opts.faults,
    quietMs,
    injectBug: opts.injectBug === true,
  });
  const violations: Violation[] = [];
  let failedAtStep: number | undefined;
  const fail = (found: Violation[]) => {
    if (!found.length) return;
    violations.push(...found);
    failedAtStep ??= scheduler.steps;
    for (const v of found) log.append({ t: scheduler.now(), actor: 'check', event: v.invariant, detail: v.detail });
  };

  for (const { resource, object } of baseObjects(await CA_PEM)) api.createNow(resource, object);
  let nextIndex = 0;
  for (; nextIndex < opts.endpoints; nextIndex++) api.createNow(R.endpoint, endpointObject(scenarioRng, nextIndex));

  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'debug', timestamp: false, base: undefined }, sink);

  const states = new Map<string, string>();
  const inspect = (ev: InspectionEvent) => {
    if (ev.type !== '@xstate.snapshot') return;
    const ref = ev.actorRef as { options?: { systemId?: string }; logic?: { root?: unknown } };
    const id = ref.options?.systemId;
    if (!id || !ref.logic?.root) return;
    const value = JSON.stringify((ev.snapshot as { value?: unknown }).value);
    if (states.get(id) === value) return;
    states.set(id, value);
    log.append({
      t: scheduler.now(),
      actor: id,
      event: String((ev.event as { type?: string }).type ?? ''),
      state: JSON.parse(value),
    });
  };

  startDeploymentController(api, scheduler, seededRng(opts.seed * 31 + 3));
  const operator = startOperator({
    http: fakeKubeHttp(api),
    clock: scheduler,
    rng: seededRng(opts.seed * 31 + 4),
    logger,
    inspect,
    namespace: NS,
    instance: 'sim',
    writeConcurrency: 8,
    resyncMs: 5 * 60_000,
  });
  operator.ready.catch((err: unknown) => fail([{ invariant: 'operatorStarts', detail: String(err) }]));

  // The scripted changes: one every 5-60 s of virtual time while faults are on.
  const existing = () =>
    api
      .peekAll(R.endpoint)
      .map((e) => e.metadata.name)
      .sort();
  const applyMutation = (m: Mutation) => {
    log.append({ t: scheduler.now(), actor: 'scenario', event: m.kind, detail: m });
    try {
      if (m.kind === 'createEndpoint') api.createNow(R.endpoint, endpointObject(scenarioRng, m.index));
      else if (m.kind === 'deleteEndpoint') api.deleteNow(R.endpoint, NS, m.name);
      else if (m.kind === 'moveEndpoint') {
        const cur = api.peek(R.endpoint, NS, m.name);
        if (cur) api.updateNow(R.endpoint, { ...cur, spec: { ...(cur.spec as object), groupRef: m.group } }, 'main');
      } else if (m.kind === 'deleteGroup') {
        if (api.peek(R.group, NS, m.group)) api.deleteNow(R.group, NS, m.group);
      } else if (m.kind === 'createGroup') {
        if (!api.peek(R.group, NS, m.group)) {
          api.createNow(R.group, {
            apiVersion: 'toolhive.stacklok.dev/v1alpha1',
            kind: 'MCPGroup',
            metadata: { name: m.group, namespace: NS },
            spec: {},
          });
        }
      } else api.compact();
    } catch (err) {
      log.append({ t: scheduler.now(), actor: 'scenario', event: 'rejected', detail: String(err) });
    }
  };
  const scheduleMutation = () => {
    scheduler.schedule('scenario', 5000 + Math.floor(scenarioRng.next() * 55_000), () => {
      if (scheduler.now() >= opts.durationMs) return;
      const m = nextMutation(scenarioRng, existing(), nextIndex);
      if (m.kind === 'createEndpoint') nextIndex += 1;
      applyMutation(m);
      scheduleMutation();
    });
  };
  scheduleMutation();
  if (opts.injectBug) {
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

  let lastRv = '';
  let logChecked = 0;
  const afterStep = () => {
    if (api.resourceVersion !== lastRv) {
      lastRv = api.resourceVersion;
      fail(checkStatusUrls(api));
    }
    if (logLines.length > logChecked) {
      fail(checkLogs(logLines.slice(logChecked), [SECRET_VALUE]));
      logChecked = logLines.length;
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
    log.append({ t: scheduler.now(), actor: 'scenario', event: 'quiet' });
    await runPhase(opts.durationMs + quietMs);
    if (failedAtStep === undefined) {
      fail([...checkReadyReferences(api), ...checkGroupMembership(api), ...checkStatusUrls(api)]);
    }
  }
  await operator.stop(0);
  const endpoints = api.peekAll(R.endpoint);
  const endpointsReady = endpoints.filter((e) =>
    (e.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ),
  ).length;
  log.append({
    t: scheduler.now(),
    actor: 'sim',
    event: violations.length ? 'failed' : 'passed',
    detail: { ready: endpointsReady, total: endpoints.length },
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
  };
}

/** Stands in for kube-controller-manager's Deployment controller: a new generation becomes available after a while. */
function startDeploymentController(api: FakeApiServer, scheduler: SimScheduler, rng: { next(): number }): void {
  api.watch(R.deployment, undefined, '0', {
    onEvent: (type, obj) => {
      if (type === 'DELETED') return;
      const generation = obj.metadata.generation ?? 1;
      const status = (obj.status ?? {}) as { observedGeneration?: number };
      if ((status.observedGeneration ?? 0) >= generation) return;
      scheduler.schedule('deployment-controller', 2000 + Math.floor(rng.next() * 18_000), () => {
        const cur = api.peek(R.deployment, obj.metadata.namespace ?? '', obj.metadata.name) as KubeObject | undefined;
        if (!cur || (cur.metadata.generation ?? 1) !== generation) return;
        const replicas = (cur.spec as { replicas?: number } | undefined)?.replicas ?? 1;
        api.updateNow(
          R.deployment,
          {
            ...cur,
            status: {
              observedGeneration: generation,
              replicas,
              readyReplicas: replicas,
              availableReplicas: replicas,
              updatedReplicas: replicas,
              conditions: [
                { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
                { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
              ],
            },
          },
          'status',
        );
      });
    },
    onClose: () => {},
  });
}
