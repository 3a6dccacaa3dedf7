// The in-memory API server on real time, for `mcpre up`: the zero-setup way to run the operator and the gateway
// together with no cluster. It is the simulator's store (Kubernetes semantics, no faults), loaded from manifests.
import { parseAllDocuments } from 'yaml';
import type { KubeHttp } from '../runtime/kube/kube-http.ts';
import { seededRng } from '../runtime/random.ts';
import { FakeApiServer, type KubeObject, NO_FAULTS } from './fake-apiserver.ts';
import { fakeKubeHttp } from './fake-kube-http.ts';
import { endpointValidation, KNOWN_RESOURCES, R, STATUS_RESOURCES } from './scenario.ts';
import { RealTimeScheduler } from './scheduler.ts';

const RESOURCE_OF_KIND: Record<string, string> = {
  MCPGroup: R.group,
  MCPRemoteEndpoint: R.endpoint,
  MCPExternalAuthConfig: R.authConfig,
  MCPToolConfig: R.toolConfig,
  ConfigMap: R.configMap,
  Secret: R.secret,
};

export interface EmbeddedCluster {
  api: FakeApiServer;
  http: KubeHttp;
  /** Creates every document of a manifest in `namespace`; kinds it does not know are refused with their name. */
  load(yamlText: string, namespace: string): KubeObject[];
  close(): void;
}

export function startEmbeddedCluster(): EmbeddedCluster {
  const scheduler = new RealTimeScheduler();
  const api = new FakeApiServer({
    scheduler,
    rng: seededRng(1),
    faults: { ...NO_FAULTS, latencyMs: [0, 0] },
    statusSubresource: STATUS_RESOURCES,
    knownResources: KNOWN_RESOURCES,
    validate: endpointValidation,
  });
  return {
    api,
    http: fakeKubeHttp(api),
    load(yamlText, namespace) {
      const created: KubeObject[] = [];
      for (const [i, doc] of parseAllDocuments(yamlText).entries()) {
        if (doc.errors.length) throw new Error(`document ${i + 1}: ${doc.errors[0]?.message}`);
        const obj = doc.toJS() as KubeObject | null;
        if (!obj) continue;
        const resource = RESOURCE_OF_KIND[String(obj.kind)];
        if (!resource)
          throw new Error(`document ${i + 1}: kind ${String(obj.kind)} is not served by the embedded store`);
        created.push(api.createNow(resource, { ...obj, metadata: { ...obj.metadata, namespace } }));
      }
      return created;
    },
    close: () => scheduler.clear(),
  };
}
