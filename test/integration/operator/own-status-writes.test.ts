// Every controller of `mcpre operator` on one manager, as a pod runs them: a change the endpoint controller itself
// writes into an endpoint's status must reach the VirtualMCPServer that serves the endpoint's group at once, not at
// the next resync. The endpoint controller offers its write's answer to the shared cache before the watch event for
// that write arrives, so the other controllers must hear about the change from the offer, or the watch event they
// get later compares the offered copy with itself and looks like nothing changed.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Resources } from '../../../src/actors/kube/kube-api.ts';
import type { Endpoint } from '../../../src/api/endpoint/model.ts';
import { proxyServiceURL } from '../../../src/api/endpoint/proxy-names.ts';
import { proxyMcpUrl } from '../../../src/api/endpoint/proxy-url.ts';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT, type ResourceId, VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import { type OperatorControllers, startOperatorControllers } from '../../../src/controllers/operator.ts';
import { createKubeHttp, type KubeHttp } from '../../../src/runtime/kube/kube-http.ts';
import { Manager } from '../../../src/runtime/kube/manager.ts';
import { registryAtRest } from '../../support/at-rest.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { DEPLOYMENT, markDeploymentAvailable } from '../../support/deployment-status.ts';
import { eventually, until } from '../../support/eventually.ts';
import { type KubeObjects, kubeObjects } from '../../support/kube-objects.ts';

const GV = 'toolhive.stacklok.dev/v1alpha1';
const CONFIG_MAP: ResourceId = Resources.configMap;
/** Far beyond the test's waits: nothing here may pass because a resync looked again. */
const RESYNC_MS = 60 * 60_000;

/**
 * The API server's transport, except that an endpoint's status write is answered, and the answer handed on, before
 * the watch event of that write is delivered. The API server promises no order between the two; this is the order a
 * busy watch stream gives (thousands of endpoints' events ahead in it), made certain here instead of left to chance.
 */
function answersBeforeWatch(inner: KubeHttp): KubeHttp {
  const statusWrites = new Set<Promise<unknown>>();
  let delivered: Promise<unknown> = Promise.resolve();
  return {
    request<T>(req: Parameters<KubeHttp['request']>[0]): Promise<T> {
      const answer = inner.request<T>(req);
      if (req.method === 'PATCH' && /\/mcpremoteendpoints\/[^/]+\/status$/.test(req.path)) {
        // Handed on: every continuation of the answer has run by the next turn of the event loop.
        const handedOn = answer.then(
          () => new Promise((r) => setImmediate(r)),
          () => undefined,
        );
        statusWrites.add(handedOn);
        void handedOn.finally(() => statusWrites.delete(handedOn));
      }
      return answer;
    },
    watch(path, query, onEvent, opts) {
      if (!path.endsWith('/mcpremoteendpoints')) return inner.watch(path, query, onEvent, opts);
      return inner.watch(
        path,
        query,
        (event) => {
          const before = [...statusWrites];
          delivered = delivered.then(() => Promise.all(before)).then(() => onEvent(event));
        },
        opts,
      );
    },
    close: () => inner.close(),
  };
}

let cp: ControlPlane;
let kube: KubeObjects;
let http: KubeHttp;
let manager: Manager;
let controllers: OperatorControllers;

beforeAll(async () => {
  cp = await startControlPlane();
  kube = kubeObjects(cp.kc);
  http = answersBeforeWatch(createKubeHttp(cp.kc));
  manager = new Manager({ http });
  controllers = startOperatorControllers(manager, {
    logger: pino({ level: process.env.MCPRE_TEST_LOG ?? 'silent' }),
    image: 'mcpre:test',
    instance: 'own-status-writes-test',
    resyncMs: RESYNC_MS,
    retry: { baseMs: 100, maxMs: 2000 },
  });
  void manager.start();
  await Promise.all([controllers.endpoints.ready, controllers.groups.ready, controllers.vmcps.ready]);
}, 120_000);

afterAll(async () => {
  await manager?.stop(2000);
  await http?.close();
  await kube?.close();
  await cp?.stop();
});

const backendsOf = async (ns: string, vmcp: string): Promise<Array<{ name: string; url: string }>> => {
  const cm = await kube.get(CONFIG_MAP, ns, `vmcp-${vmcp}-config`);
  return parseYaml((cm.data as Record<string, string>)['config.yaml'] ?? '').backends;
};

/**
 * No actor has an effect in flight, no group or API write is waiting, and the caches hold these objects at the API
 * server's current version (every watch event for them handled). The VirtualMCPServer chart tags no state `quiet`
 * (its actors stay), so its registry is read the way the VirtualMCPServer tests read it.
 */
const atRest = () =>
  controllers.endpoints.registry.quiet() &&
  registryAtRest(controllers.vmcps.registry) &&
  controllers.groups.queue.pending === 0 &&
  manager.writes.queue.size === 0 &&
  manager.writes.queue.pending === 0;

async function settled(objects: Array<[ResourceId, string, string]>): Promise<void> {
  await until('the operator to settle', async () => {
    if (!atRest()) return false;
    for (const [resource, ns, name] of objects) {
      const live = await kube.get(resource, ns, name);
      const cached = manager.informers.get(resource)?.store.get(ns, name);
      if (cached?.metadata.resourceVersion !== live.metadata.resourceVersion) return false;
    }
    return atRest();
  });
}

describe('the operator hears its own endpoint status writes', () => {
  it("a proxy endpoint's status.url, written once its Deployment is available, reaches the VirtualMCPServer's config well before a resync", async () => {
    const ns = await cp.namespace('own-writes');
    await kube.create(MCP_GROUP, ns, { apiVersion: GV, kind: 'MCPGroup', metadata: { name: 'team' }, spec: {} });
    await kube.create(MCP_REMOTE_ENDPOINT, ns, {
      apiVersion: GV,
      kind: 'MCPRemoteEndpoint',
      metadata: { name: 'wiki' },
      spec: {
        type: 'proxy',
        remoteURL: 'https://remote.example.com/mcp',
        transport: 'streamable-http',
        groupRef: 'team',
        proxyConfig: { oidcConfig: { type: 'kubernetes' } },
      },
    });
    await kube.create(VIRTUAL_MCP_SERVER, ns, {
      apiVersion: GV,
      kind: 'VirtualMCPServer',
      metadata: { name: 'gw' },
      spec: { groupRef: 'team' },
    });

    // The proxy is provisioned but not available: the endpoint is Pending with no URL, and the gateway config leaves
    // it out. Everything has settled, so nothing queued can wake the VirtualMCPServer later by chance.
    await until('the proxy Deployment', async () =>
      kube
        .get(DEPLOYMENT, ns, 'mcpre-wiki')
        .then(() => true)
        .catch(() => false),
    );
    await until(
      'wiki Pending',
      async () => (await kube.get(MCP_REMOTE_ENDPOINT, ns, 'wiki')).status?.phase === 'Pending',
    );
    await until('the gateway config', async () =>
      kube
        .get(CONFIG_MAP, ns, 'vmcp-gw-config')
        .then(() => true)
        .catch(() => false),
    );
    // The gateway's own Deployment available too, so its VirtualMCPServer rests instead of waiting for the rollout.
    await until('the gateway Deployment', async () =>
      kube
        .get(DEPLOYMENT, ns, 'vmcp-gw')
        .then(() => true)
        .catch(() => false),
    );
    await markDeploymentAvailable(kube, ns, 'vmcp-gw');
    // Its Ready status comes from the plan that the Deployment's change woke (debounced): none is left waiting.
    await until('gw Ready', async () => (await kube.get(VIRTUAL_MCP_SERVER, ns, 'gw')).status?.phase === 'Ready');
    await settled([
      [MCP_REMOTE_ENDPOINT, ns, 'wiki'],
      [VIRTUAL_MCP_SERVER, ns, 'gw'],
      [CONFIG_MAP, ns, 'vmcp-gw-config'],
      [DEPLOYMENT, ns, 'vmcp-gw'],
    ]);
    expect(await backendsOf(ns, 'gw')).toEqual([]);
    const passes = controllers.vmcps.stats.passes.get(`${ns}/gw`) ?? 0;

    // Playing the Deployment controller: the endpoint controller is woken by its owned Deployment (which no
    // VirtualMCPServer reads) and writes Ready with the Service URL. Only that status write can wake the gateway.
    await markDeploymentAvailable(kube, ns, 'mcpre-wiki');
    const wiki = (await eventually('wiki Ready', async () => {
      const e = await kube.get(MCP_REMOTE_ENDPOINT, ns, 'wiki');
      return e.status?.phase === 'Ready' ? e : undefined;
    })) as unknown as Endpoint;
    const url = proxyServiceURL(wiki);
    expect(wiki.status?.url).toBe(url);

    const backends = await eventually(
      'wiki in the gateway config',
      async () => {
        const b = await backendsOf(ns, 'gw');
        return b.length > 0 ? b : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(backends.map((b) => [b.name, b.url])).toEqual([['wiki', proxyMcpUrl(url)]]);
    expect(controllers.vmcps.stats.passes.get(`${ns}/gw`) ?? 0).toBeGreaterThan(passes);
  });
});
