// A fixed scenario (objects in, statuses out) run on the in-memory API server with the production operator: one
// half of the differential test that keeps the simulator honest against the real control plane.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startOperator } from '../controllers/endpoint/operator.ts';
import { seededRng } from '../runtime/random.ts';
import { FakeApiServer, type KubeObject, NO_FAULTS } from './fake-apiserver.ts';
import { fakeKubeHttp } from './fake-kube-http.ts';
import { endpointValidation, KNOWN_RESOURCES, NS, R, STATUS_RESOURCES } from './scenario.ts';
import { SimScheduler } from './scheduler.ts';

export interface EndpointOutcome {
  phase: string | undefined;
  url: string | undefined;
  /** type=status/reason, sorted by type. */
  conditions: string[];
}

/** What a differential comparison looks at: phase, url and every condition's status and reason. */
export function outcomeOf(endpoint: KubeObject): EndpointOutcome {
  const status = (endpoint.status ?? {}) as {
    phase?: string;
    url?: string;
    conditions?: { type: string; status: string; reason: string }[];
  };
  return {
    phase: status.phase,
    url: status.url || undefined,
    conditions: (status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).sort(),
  };
}

export async function runScriptedOnFake(
  objects: { resource: string; object: KubeObject }[],
  opts: { settleMs?: number; deploymentReadyAfterMs?: number } = {},
): Promise<Map<string, EndpointOutcome>> {
  const scheduler = new SimScheduler(seededRng(1));
  const api = new FakeApiServer({
    scheduler,
    rng: seededRng(2),
    faults: NO_FAULTS,
    statusSubresource: STATUS_RESOURCES,
    knownResources: KNOWN_RESOURCES,
    validate: endpointValidation,
  });
  for (const { resource, object } of objects) api.createNow(resource, object);
  const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));
  const operator = startOperator({
    http: fakeKubeHttp(api),
    clock: scheduler,
    rng: seededRng(3),
    logger,
    namespace: NS,
    instance: 'diff',
  });
  await scheduler.runUntil(opts.deploymentReadyAfterMs ?? 30_000);
  // As the test does on the real control plane: every proxy Deployment becomes available.
  for (const d of api.peekAll(R.deployment)) {
    api.updateNow(R.deployment, { ...d, status: availableStatus(d) }, 'status');
  }
  await scheduler.runUntil(scheduler.now() + (opts.settleMs ?? 60_000));
  const out = new Map<string, EndpointOutcome>();
  for (const e of api.peekAll(R.endpoint)) out.set(e.metadata.name, outcomeOf(e));
  await operator.stop(0);
  return out;
}

export function availableStatus(d: KubeObject): Record<string, unknown> {
  const replicas = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  return {
    observedGeneration: d.metadata.generation ?? 1,
    replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    updatedReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'simulated' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'simulated' },
    ],
  };
}
