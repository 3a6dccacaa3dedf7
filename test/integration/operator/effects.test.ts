// The effect actors against the real API server, one by one: the semantics the chart relies on (a stale
// resourceVersion gets 409, merge patches leave other writers' status alone, apply is idempotent) are the server's,
// so they are checked here rather than assumed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, type PromiseActorLogic, toPromise } from 'xstate';
import { applyProxyObjects } from '../../../src/actors/kube/apply-proxy.ts';
import type { EndpointCaches } from '../../../src/actors/kube/caches.ts';
import { KubeApiError } from '../../../src/actors/kube/kube-api.ts';
import { recordEndpointEvents } from '../../../src/actors/kube/record-events.ts';
import { setEndpointFinalizers } from '../../../src/actors/kube/set-finalizers.ts';
import { writeEndpointStatus } from '../../../src/actors/kube/write-status.ts';
import type { Endpoint } from '../../../src/api/endpoint/model.ts';
import { renderProxyObjects } from '../../../src/api/endpoint/proxy-objects.ts';
import { classifyApiFailure } from '../../../src/api/endpoint/retry.ts';
import { directSpec, type Env, endpointBody, eventsFor, R, startEnv } from './harness.ts';

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env?.stop());

const offered: Endpoint[] = [];
const caches = { offerEndpoint: (e: Endpoint) => offered.push(e) } as unknown as EndpointCaches;

// biome-ignore lint/suspicious/noExplicitAny: each effect has its own input and output types
async function run<I, O>(logic: PromiseActorLogic<any, any>, input: I): Promise<O> {
  const actor = createActor(logic, { input });
  actor.start();
  return (await toPromise(actor)) as O;
}

const status = (phase: 'Ready' | 'Failed', url: string | null) => ({
  phase,
  url,
  observedGeneration: 1,
  conditions: [
    {
      type: 'Ready',
      status: phase === 'Ready' ? 'True' : 'False',
      reason: 'Test',
      message: '',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 1,
    },
  ],
});

describe('effect actors on the real API server', () => {
  it('writeStatus: 409 on a stale resourceVersion; otherwise writes, clears url with null, keeps status.session', async () => {
    const ns = await env.cp.namespace('fx-status');
    const created = await env.kube.create(R.endpoint, ns, endpointBody('e', directSpec()));
    await env.kube.mergePatchStatus(R.endpoint, ns, 'e', { status: { session: { state: 'Ready', reportedBy: 'gw' } } });
    const logic = writeEndpointStatus({ api: env.http, caches });
    const key = { namespace: ns, name: 'e' };

    const stale = await run(logic, {
      key,
      resourceVersion: created.metadata.resourceVersion,
      status: status('Ready', 'https://x'),
    }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(KubeApiError);
    expect(classifyApiFailure(stale)).toBe('conflict');

    const current = await env.kube.get(R.endpoint, ns, 'e');
    const written = await run<unknown, Endpoint>(logic, {
      key,
      resourceVersion: current.metadata.resourceVersion,
      status: status('Ready', 'https://x'),
    });
    expect(written.status?.url).toBe('https://x');
    expect(written.status?.session).toEqual({ state: 'Ready', reportedBy: 'gw' });
    expect(offered.at(-1)?.metadata.resourceVersion).toBe(written.metadata.resourceVersion);

    const cleared = await run<unknown, Endpoint>(logic, {
      key,
      resourceVersion: written.metadata.resourceVersion,
      status: status('Failed', null),
    });
    expect(cleared.status?.url).toBeUndefined();
    expect(cleared.status?.phase).toBe('Failed');
    expect(cleared.status?.session).toEqual({ state: 'Ready', reportedBy: 'gw' });
  });

  it('setFinalizers: keeps other finalizers, and refuses a stale view with 409', async () => {
    const ns = await env.cp.namespace('fx-fin');
    const body = endpointBody('e', directSpec()) as { metadata: Record<string, unknown> };
    body.metadata.finalizers = ['example.com/other'];
    const created = await env.kube.create(R.endpoint, ns, body);
    const logic = setEndpointFinalizers({ api: env.http, caches });
    const key = { namespace: ns, name: 'e' };
    const out = await run<unknown, Endpoint>(logic, {
      key,
      resourceVersion: created.metadata.resourceVersion,
      finalizers: ['example.com/other', 'toolhive.stacklok.dev/mcpremoteendpoint-finalizer'],
    });
    expect(out.metadata.finalizers).toEqual(['example.com/other', 'toolhive.stacklok.dev/mcpremoteendpoint-finalizer']);
    const stale = await run(logic, { key, resourceVersion: created.metadata.resourceVersion, finalizers: [] }).catch(
      (e: unknown) => e,
    );
    expect(classifyApiFailure(stale)).toBe('conflict');
  });

  it('applyProxy: a second apply of the same objects changes nothing (same resourceVersion)', async () => {
    const ns = await env.cp.namespace('fx-apply');
    const created = (await env.kube.create(
      R.endpoint,
      ns,
      endpointBody('p', {
        type: 'proxy',
        remoteURL: 'https://r.example.com/mcp',
        transport: 'sse',
        groupRef: 'g',
        proxyConfig: { oidcConfig: { type: 'kubernetes' } },
      }),
    )) as unknown as Endpoint;
    const manifests = renderProxyObjects(created, null, { image: 'mcpre:test' });
    const logic = applyProxyObjects({ api: env.http });
    await run(logic, { key: { namespace: ns, name: 'p' }, apply: manifests, remove: [] });
    const first = await env.kube.get(R.deployment, ns, 'mcpre-p');
    await run(logic, { key: { namespace: ns, name: 'p' }, apply: manifests, remove: [] });
    const second = await env.kube.get(R.deployment, ns, 'mcpre-p');
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const env_ = second.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(env_.find((e) => e.name === 'MCPRE_PROXY_TRANSPORT')?.value).toBe('sse');
  });

  it('recordEvents: an events.k8s.io Event regarding the endpoint, readable with kubectl events', async () => {
    const ns = await env.cp.namespace('fx-events');
    const created = await env.kube.create(R.endpoint, ns, endpointBody('e', directSpec()));
    let n = 0;
    const logic = recordEndpointEvents({
      api: env.http,
      now: () => '2026-01-01T00:00:00.123Z',
      instance: 'test',
      uniqueSuffix: () => `t${++n}`,
    });
    await run(logic, {
      endpoint: {
        namespace: ns,
        name: 'e',
        uid: created.metadata.uid,
        resourceVersion: created.metadata.resourceVersion,
      },
      events: [
        { type: 'Warning', reason: 'GroupNotFound', note: 'MCPGroup "g" does not exist', action: 'Validate' },
        { type: 'Normal', reason: 'Ready', note: 'ok', action: 'Ready' },
      ],
    });
    const events = await eventsFor(env, ns, 'e');
    expect(events.map((e) => [e.type, e.reason, e.note])).toEqual([
      ['Warning', 'GroupNotFound', 'MCPGroup "g" does not exist'],
      ['Normal', 'Ready', 'ok'],
    ]);
  });
});
