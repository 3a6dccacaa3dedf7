// Shared set-up for the operator's integration tests: a real control plane, REST helpers, an in-process operator
// (silent logs unless MCPRE_TEST_LOG is set), and a bounded poll for "eventually" assertions.
import { pino } from 'pino';
import { Resources } from '../../../src/actors/kube/kube-api.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { type Operator, type OperatorOptions, startOperator } from '../../../src/runtime/operator/operator.ts';
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
