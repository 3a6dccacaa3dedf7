// Shared set-up for the operator's integration tests: a real control plane, REST helpers, an in-process operator
// (silent logs unless MCPRE_TEST_LOG is set), bounded polls for "eventually" assertions, and the wait for an operator
// with nothing left to do that "nothing was written" assertions need.
import { pino } from 'pino';
import { Resources } from '../../../src/actors/kube/kube-api.ts';
import type { InformerName } from '../../../src/controllers/endpoint/informers.ts';
import { type Operator, type OperatorOptions, startOperator } from '../../../src/controllers/endpoint/operator.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { registryAtRest } from '../../support/at-rest.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { eventually } from '../../support/eventually.ts';
import { type KubeObject, type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';

export { condition, eventually } from '../../support/eventually.ts';

export const R = Resources;

export interface Env {
  cp: ControlPlane;
  kube: KubeObjects;
  http: KubeHttp;
  operators: Operator[];
  operator(opts?: Partial<OperatorOptions>): Promise<Operator>;
  stop(): Promise<void>;
}

export async function startEnv(opts: { toolhiveCrds?: boolean; apiServerArgs?: string[] } = {}): Promise<Env> {
  const cp = await startControlPlane({
    crdDirs: opts.toolhiveCrds ? ['crds', 'test/crds/toolhive'] : ['crds'],
    apiServerArgs: opts.apiServerArgs,
  });
  const kube = kubeObjects(cp.kc);
  const http = createKubeHttp(cp.kc);
  const operators: Operator[] = [];
  return {
    cp,
    kube,
    http,
    operators,
    async operator(extra = {}) {
      const op = startOperator({
        kubeconfig: cp.kc,
        logger: pino({ level: process.env.MCPRE_TEST_LOG ?? 'silent' }),
        proxy: { image: 'mcpre:test' },
        retry: { baseMs: 100, maxMs: 2000 },
        ...extra,
      });
      operators.push(op);
      await op.ready;
      return op;
    },
    async stop() {
      await Promise.all(operators.map((o) => o.stop(2000)));
      await http.close();
      await kube.close();
      await cp.stop();
    },
  };
}

/** Waits until the endpoint's status says what `check` wants, and returns the endpoint. */
export async function waitForEndpoint(
  env: Env,
  ns: string,
  name: string,
  what: string,
  check: (e: KubeObject) => boolean,
  timeoutMs?: number,
): Promise<KubeObject> {
  return eventually(
    `${ns}/${name}: ${what}`,
    async () => {
      const e = await env.kube.get(R.endpoint, ns, name);
      return check(e) ? e : undefined;
    },
    { timeoutMs },
  );
}

export const directSpec = (over: Record<string, unknown> = {}) => ({
  type: 'direct',
  remoteURL: 'https://mcp.example.com/mcp',
  transport: 'streamable-http',
  groupRef: 'engineering',
  ...over,
});

export function endpointBody(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPRemoteEndpoint', metadata: { name }, spec };
}

export function groupBody(name: string): object {
  return { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPGroup', metadata: { name }, spec: {} };
}

export interface EventItem {
  reason: string;
  type: string;
  note: string;
  regarding: { name: string };
}

export async function eventsFor(env: Env, ns: string, name: string): Promise<EventItem[]> {
  const list = await env.http.request<{ items: EventItem[] }>({
    method: 'GET',
    path: `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
  });
  return list.items.filter((e) => e.regarding?.name === name);
}

/** Waits until the endpoint's Events include every reason in `reasons` (events are recorded just after the status). */
export async function waitForEvents(env: Env, ns: string, name: string, reasons: string[]): Promise<EventItem[]> {
  return eventually(`${ns}/${name}: events ${reasons.join(', ')}`, async () => {
    const events = await eventsFor(env, ns, name);
    const have = events.map((e) => e.reason);
    return reasons.every((r) => have.includes(r)) ? events : undefined;
  });
}

/** The operator's informer for each resource a test may name in `waitUntilSettled`. */
const INFORMER_OF = {
  endpoint: 'endpoints',
  group: 'groups',
  authConfig: 'authConfigs',
  configMap: 'configMaps',
  secret: 'secrets',
  deployment: 'deployments',
  service: 'services',
  serviceAccount: 'serviceAccounts',
} as const satisfies Partial<Record<keyof typeof R, InformerName>>;

/** An object as `[resource, namespace, name]`. */
export type ObjectRef = [keyof typeof INFORMER_OF, string, string];

/**
 * Waits until the operator has nothing left to do about these objects: its caches hold each at the version the API
 * server has now (so every watch event for them was handled, and handling one wakes the actors it concerns at once),
 * every endpoint actor is at rest, no write (Events included) is queued, no group status write is queued or
 * debounced, and no request went out while this was checked. After it, the operator's counts of requests are final for everything that happened before.
 */
export async function waitUntilSettled(env: Env, op: Operator, objects: ObjectRef[]): Promise<void> {
  const requests = () => Object.values(op.stats.requests).reduce((a, b) => a + b, 0);
  // Events are queued behind status writes and sent after their actor rested: an empty write queue is part of rest.
  const writes = op.manager.writes.queue;
  const resting = () =>
    registryAtRest(op.registry) && op.groups.pending === 0 && writes.size === 0 && writes.pending === 0;
  await eventually('the operator to settle', async () => {
    if (!resting()) return undefined;
    const before = requests();
    for (const [resource, ns, name] of objects) {
      const live = await env.kube.get(R[resource], ns, name);
      const cached = op.informers[INFORMER_OF[resource]].store.get(ns, name);
      if (cached?.metadata.resourceVersion !== live.metadata.resourceVersion) return undefined;
    }
    return resting() && requests() === before ? true : undefined;
  });
}
