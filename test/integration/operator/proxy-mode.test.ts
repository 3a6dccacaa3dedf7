// Proxy mode on a real kube-apiserver: server-side apply of ServiceAccount, Deployment and Service with owner
// references under the `mcpre` field manager, the finalizer, DeploymentReady following the Deployment's status (driven
// here through the status subresource: this control plane has no controller-manager), status.url only while ready,
// resourceOverrides, and deletion (Terminating while the finalizer runs; the operator removes what it created).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_FINALIZER } from '../../../src/api/endpoint/proxy-names.ts';
import type { Operator } from '../../../src/controllers/endpoint/operator.ts';
import { markDeploymentAvailable } from '../../support/deployment-status.ts';
import type { KubeObject } from '../../support/kube-objects.ts';
import {
  condition,
  type Env,
  endpointBody,
  eventually,
  groupBody,
  R,
  startEnv,
  waitForEndpoint,
  waitForEvents,
  waitUntilSettled,
} from './harness.ts';

let env: Env;
let op: Operator;
beforeAll(async () => {
  env = await startEnv();
  op = await env.operator();
});
afterAll(async () => env?.stop());

const proxySpec = (proxyConfig: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => ({
  type: 'proxy',
  remoteURL: 'https://internal-mcp.corp.example.com/mcp',
  transport: 'streamable-http',
  groupRef: 'engineering',
  proxyConfig: { oidcConfig: { type: 'kubernetes' }, ...proxyConfig },
  ...over,
});

async function getOrUndefined(
  res: Parameters<Env['kube']['get']>[0],
  ns: string,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await env.kube.get(res, ns, name);
  } catch {
    return undefined;
  }
}

async function owned(ns: string, name: string) {
  return {
    sa: await getOrUndefined(R.serviceAccount, ns, name),
    deployment: await getOrUndefined(R.deployment, ns, name),
    service: await getOrUndefined(R.service, ns, name),
  };
}

describe('proxy mode', () => {
  it('provisions with SSA and owner references, waits for the Deployment, then Ready with the Service URL', async () => {
    const ns = await env.cp.namespace('proxy');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.secret, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { 'api-key': 'very-secret-7d1f' },
    });
    const spec = proxySpec(
      {
        audit: { enabled: true },
        authzConfig: { type: 'inline', inline: { policies: ['permit(principal, action, resource);'] } },
      },
      {
        headerForward: {
          addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: 'creds', key: 'api-key' } }],
        },
      },
    );
    const created = await env.kube.create(R.endpoint, ns, endpointBody('internal-api', spec));

    const pending = await waitForEndpoint(env, ns, 'internal-api', 'Pending', (e) => e.status?.phase === 'Pending');
    expect(pending.metadata.finalizers).toEqual([ENDPOINT_FINALIZER]);
    expect(condition(pending, 'DeploymentReady')).toMatchObject({ status: 'False' });
    expect(condition(pending, 'Ready')).toMatchObject({ status: 'False', reason: 'DeploymentNotReady' });
    expect(pending.status.url).toBeUndefined();

    const objs = await eventually('proxy objects', async () => {
      const o = await owned(ns, 'mcpre-internal-api');
      return o.sa && o.deployment && o.service ? o : undefined;
    });
    for (const o of [objs.sa, objs.deployment, objs.service]) {
      expect(o?.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'MCPRemoteEndpoint',
          name: 'internal-api',
          uid: created.metadata.uid,
          controller: true,
        }),
      ]);
      const managers = ((o?.metadata.managedFields ?? []) as { manager: string; operation: string }[]).map(
        (m) => `${m.manager}/${m.operation}`,
      );
      expect(managers).toContain('mcpre/Apply');
    }
    const dep = objs.deployment as KubeObject;
    const container = dep.spec.template.spec.containers[0];
    expect(container.args.slice(0, 2)).toEqual(['gateway', '--proxy-mode']);
    expect(container.image).toBe('mcpre:test');
    const env_ = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));
    expect(env_.MCPRE_PROXY_REMOTE_URL.value).toBe('https://internal-mcp.corp.example.com/mcp');
    expect(JSON.parse(env_.MCPRE_PROXY_HEADERS.value).fromFile).toEqual({
      'X-API-Key': '/etc/mcpre/secrets/creds/api-key',
    });
    expect(dep.spec.template.spec.volumes).toContainEqual({
      name: 'secret-creds',
      secret: { secretName: 'creds', items: [{ key: 'api-key', path: 'api-key' }], defaultMode: 0o440 },
    });
    expect(JSON.stringify(dep)).not.toContain('very-secret-7d1f');
    expect(dep.spec.template.spec.serviceAccountName).toBe('mcpre-internal-api');
    expect(objs.service?.spec).toMatchObject({
      sessionAffinity: 'ClientIP',
      ports: [expect.objectContaining({ port: 8080 })],
    });

    // The Deployment controller would do this; here the test does.
    await markDeploymentAvailable(env.kube, ns, 'mcpre-internal-api');
    const ready = await waitForEndpoint(env, ns, 'internal-api', 'Ready', (e) => e.status?.phase === 'Ready');
    expect(ready.status.url).toBe(`http://mcpre-internal-api.${ns}.svc.cluster.local:8080`);
    expect(condition(ready, 'DeploymentReady')).toMatchObject({ status: 'True', reason: 'DeploymentAvailable' });
    expect(condition(ready, 'Ready')).toMatchObject({ status: 'True', reason: 'ProxyReady' });
    await waitForEvents(env, ns, 'internal-api', ['Ready']);

    // Unchanged: no re-apply (the Deployment's resourceVersion stays) and no status write.
    const settled = () =>
      waitUntilSettled(env, op, [
        ['endpoint', ns, 'internal-api'],
        ['deployment', ns, 'mcpre-internal-api'],
        ['group', ns, 'engineering'],
      ]);
    await settled();
    const depRv = (await env.kube.get(R.deployment, ns, 'mcpre-internal-api')).metadata.resourceVersion;
    const epRv = ready.metadata.resourceVersion;
    const writes = op.stats.statusWritesByEndpoint.get(`${ns}/internal-api`);
    const applies = op.stats.requests.PATCH ?? 0;
    op.registry.wake(`${ns}/internal-api`);
    await settled();
    expect(op.stats.statusWritesByEndpoint.get(`${ns}/internal-api`)).toBe(writes);
    expect(op.stats.requests.PATCH ?? 0).toBe(applies);
    expect((await env.kube.get(R.deployment, ns, 'mcpre-internal-api')).metadata.resourceVersion).toBe(depRv);
    expect((await env.kube.get(R.endpoint, ns, 'internal-api')).metadata.resourceVersion).toBe(epRv);

    // Replicas gone: url cleared, NotReady announced.
    await env.kube.mergePatchStatus(R.deployment, ns, 'mcpre-internal-api', {
      status: {
        availableReplicas: 0,
        readyReplicas: 0,
        unavailableReplicas: 1,
        conditions: [
          {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
            lastUpdateTime: '2026-01-01T00:00:00Z',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    });
    const down = await waitForEndpoint(env, ns, 'internal-api', 'Pending again', (e) => e.status?.phase === 'Pending');
    expect(down.status.url).toBeUndefined();
    expect(condition(down, 'DeploymentReady')).toMatchObject({ status: 'False', reason: 'DeploymentUnavailable' });
    await waitForEvents(env, ns, 'internal-api', ['NotReady']);
  });

  it('a spec change re-applies the Deployment and waits for the new generation', async () => {
    const ns = await env.cp.namespace('rollout');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('api', proxySpec()));
    const dep = await eventually('deployment', () => getOrUndefined(R.deployment, ns, 'mcpre-api'));
    await markDeploymentAvailable(env.kube, ns, 'mcpre-api');
    await waitForEndpoint(env, ns, 'api', 'Ready', (e) => e.status?.phase === 'Ready');

    await env.kube.mergePatch(R.endpoint, ns, 'api', { spec: { proxyConfig: { proxyPort: 9090 } } });
    const rolled = await eventually('new generation', async () => {
      const d = await env.kube.get(R.deployment, ns, 'mcpre-api');
      return (d.metadata.generation ?? 0) > (dep.metadata.generation ?? 0) ? d : undefined;
    });
    expect(rolled.spec.template.spec.containers[0].ports[0].containerPort).toBe(9090);
    // The Deployment and the Service are separate writes of the same plan, in no promised order.
    await eventually('the Service on the new port', async () => {
      const svc = await env.kube.get(R.service, ns, 'mcpre-api');
      return svc.spec.ports[0].port === 9090 ? svc : undefined;
    });
    // The controller has not observed the new generation yet: not ready, no url.
    const pending = await waitForEndpoint(env, ns, 'api', 'Pending', (e) => e.status?.phase === 'Pending');
    expect(condition(pending, 'DeploymentReady')).toMatchObject({ status: 'False', reason: 'DeploymentProgressing' });
    await markDeploymentAvailable(env.kube, ns, 'mcpre-api');
    const ready = await waitForEndpoint(env, ns, 'api', 'Ready', (e) => e.status?.phase === 'Ready');
    expect(ready.status.url).toBe(`http://mcpre-api.${ns}.svc.cluster.local:9090`);
  });

  it('ProgressDeadlineExceeded makes the endpoint Failed with an actionable message', async () => {
    const ns = await env.cp.namespace('stuck');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('stuck', proxySpec()));
    await eventually('deployment', () => getOrUndefined(R.deployment, ns, 'mcpre-stuck'));
    await env.kube.mergePatchStatus(R.deployment, ns, 'mcpre-stuck', {
      status: {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "x" has timed out progressing.',
            lastUpdateTime: '2026-01-01T00:00:00Z',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    });
    const failed = await waitForEndpoint(env, ns, 'stuck', 'Failed', (e) => e.status?.phase === 'Failed');
    expect(condition(failed, 'DeploymentReady')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(condition(failed, 'DeploymentReady').message).toContain('kubectl describe deployment mcpre-stuck');
    await waitForEvents(env, ns, 'stuck', ['ProgressDeadlineExceeded']);
  });

  it('honours resourceOverrides and a named ServiceAccount (and removes the one it created before)', async () => {
    const ns = await env.cp.namespace('overrides');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    const overrides = {
      resourceOverrides: {
        proxyDeployment: {
          labels: { team: 'payments' },
          annotations: { 'example.com/owner': 'payments' },
          podTemplateMetadataOverrides: { labels: { tier: 'edge' }, annotations: { 'prometheus.io/scrape': 'true' } },
          env: [{ name: 'EXTRA_FLAG', value: 'on' }],
        },
        proxyService: { labels: { exposed: 'internal' }, annotations: { 'example.com/lb': 'none' } },
      },
      sessionAffinity: 'None',
    };
    await env.kube.create(R.endpoint, ns, endpointBody('pay', proxySpec(overrides)));
    const o = await eventually('objects', async () => {
      const x = await owned(ns, 'mcpre-pay');
      return x.sa && x.deployment && x.service ? x : undefined;
    });
    expect(o.deployment?.metadata.labels).toMatchObject({ team: 'payments', 'app.kubernetes.io/managed-by': 'mcpre' });
    expect((o.deployment?.metadata.annotations ?? {}) as Record<string, string>).toMatchObject({
      'example.com/owner': 'payments',
    });
    expect(o.deployment?.spec.template.metadata.labels.tier).toBe('edge');
    expect(o.deployment?.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
    expect(o.deployment?.spec.template.spec.containers[0].env).toContainEqual({ name: 'EXTRA_FLAG', value: 'on' });
    expect((o.service?.metadata.labels ?? {}) as Record<string, string>).toMatchObject({ exposed: 'internal' });
    expect(o.service?.spec.sessionAffinity).toBe('None');

    await env.kube.mergePatch(R.endpoint, ns, 'pay', { spec: { proxyConfig: { serviceAccount: 'payments-proxy' } } });
    await eventually('own SA removed and Deployment switched', async () => {
      const x = await owned(ns, 'mcpre-pay');
      return !x.sa && x.deployment?.spec.template.spec.serviceAccountName === 'payments-proxy' ? true : undefined;
    });
  });

  it('deletion: Terminating while the finalizer runs, proxy objects removed, then the finalizer released', async () => {
    const ns = await env.cp.namespace('delete');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    // Another controller's finalizer keeps the object around after ours is released, so the test can see it.
    const body = endpointBody('doomed', proxySpec()) as { metadata: Record<string, unknown> };
    body.metadata.finalizers = ['example.com/hold'];
    await env.kube.create(R.endpoint, ns, body);
    await eventually('objects', async () => {
      const x = await owned(ns, 'mcpre-doomed');
      return x.sa && x.deployment && x.service ? true : undefined;
    });
    await env.kube.delete(R.endpoint, ns, 'doomed');
    const terminating = await waitForEndpoint(
      env,
      ns,
      'doomed',
      'our finalizer released',
      (e) => !(e.metadata.finalizers as string[]).includes(ENDPOINT_FINALIZER),
    );
    expect(terminating.status.phase).toBe('Terminating');
    expect(condition(terminating, 'Ready')).toMatchObject({ status: 'False', reason: 'Terminating' });
    expect(terminating.metadata.finalizers).toEqual(['example.com/hold']);
    expect(await owned(ns, 'mcpre-doomed')).toEqual({ sa: undefined, deployment: undefined, service: undefined });

    await env.kube.mergePatch(R.endpoint, ns, 'doomed', { metadata: { finalizers: null } });
    await eventually('endpoint gone', async () =>
      (await getOrUndefined(R.endpoint, ns, 'doomed')) ? undefined : true,
    );
    await eventually('actor stopped', async () => (op.registry.get(`${ns}/doomed`) ? undefined : true));
  });

  it('an invalid proxy endpoint is not provisioned; fixing it provisions it', async () => {
    const ns = await env.cp.namespace('invalid-proxy');
    await env.kube.create(R.endpoint, ns, endpointBody('later', proxySpec()));
    const failed = await waitForEndpoint(env, ns, 'later', 'Failed', (e) => e.status?.phase === 'Failed');
    expect(condition(failed, 'GroupRefValid')).toMatchObject({ status: 'False', reason: 'GroupNotFound' });
    expect(condition(failed, 'DeploymentReady')).toMatchObject({ status: 'False', reason: 'ValidationFailed' });
    expect(await owned(ns, 'mcpre-later')).toEqual({ sa: undefined, deployment: undefined, service: undefined });
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await waitForEndpoint(env, ns, 'later', 'Pending', (e) => e.status?.phase === 'Pending');
    expect((await owned(ns, 'mcpre-later')).deployment).toBeDefined();
  });
});
