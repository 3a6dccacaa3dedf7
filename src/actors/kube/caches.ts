// What the effect actors may read from the informer caches (and hand back to them). The runtime implements it over
// its reflectors; tests and the simulator over plain maps. Actors never hold the caches themselves.
import type {
  ConfigMap,
  Endpoint,
  ExternalAuthConfig,
  Group,
  KubeObject,
  SecretKeys,
} from '../../api/endpoint/model.ts';
import type { OwnedKind } from '../../api/endpoint/proxy-objects.ts';
import type { NameCollision } from '../../api/endpoint/snapshot.ts';
import type { ToolConfig } from '../../api/vmcp/model.ts';

/** The objects an endpoint or a VirtualMCPServer references, by namespace and name. */
export interface ReferenceCaches {
  group(namespace: string, name: string): Group | undefined;
  authConfig(namespace: string, name: string): ExternalAuthConfig | undefined;
  configMap(namespace: string, name: string): ConfigMap | undefined;
  toolConfig(namespace: string, name: string): ToolConfig | undefined;
  secret(namespace: string, name: string): SecretKeys | undefined;
}

export interface EndpointCaches extends ReferenceCaches {
  endpoint(namespace: string, name: string): Endpoint | undefined;
  /** Same-name MCPServer / MCPRemoteProxy (kinds whose CRDs are not installed are skipped). */
  collisions(namespace: string, name: string): NameCollision[];
  owned(kind: OwnedKind, namespace: string, name: string): KubeObject | undefined;
  /** A newer copy of an endpoint (from a live read or a write's response); ignored if the cache has newer. */
  offerEndpoint(endpoint: Endpoint): void;
}
