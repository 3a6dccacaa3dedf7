// Everything one reconcile of an endpoint looks at, read from the informer caches in one go. The machine decides from
// this value alone, so a decision can be replayed from a recorded snapshot.

import type { ToolConfig } from '../vmcp/model.ts';
import type {
  ConfigMap,
  Deployment,
  Endpoint,
  ExternalAuthConfig,
  Group,
  SecretKeys,
  Service,
  ServiceAccount,
} from './model.ts';

export interface NameCollision {
  kind: 'MCPServer' | 'MCPRemoteProxy';
  name: string;
}

export interface EndpointSnapshot {
  /** When the snapshot was taken (RFC 3339, from the injected clock): the time stamped on flipped conditions. */
  now: string;
  /** The endpoint itself; null when it no longer exists. */
  endpoint: Endpoint | null;
  group: Group | null;
  authConfig: ExternalAuthConfig | null;
  caBundle: ConfigMap | null;
  /** The MCPToolConfig named by spec.toolConfigRef; null when it does not exist (or none is referenced). */
  toolConfig: ToolConfig | null;
  /** Every Secret the endpoint references, by name; null when it does not exist. Key names only, never values. */
  secrets: Record<string, SecretKeys | null>;
  /** Same-name ToolHive objects (only kinds whose CRDs are installed are looked at). */
  collisions: NameCollision[];
  /** The proxy objects the operator owns for this endpoint, as the caches see them. */
  owned: {
    deployment: Deployment | null;
    service: Service | null;
    serviceAccount: ServiceAccount | null;
  };
}

/** A snapshot with nothing referenced found: the start of every observation, and the reading of "not found". */
export function emptySnapshot(now: string, endpoint: Endpoint | null = null): EndpointSnapshot {
  return {
    now,
    endpoint,
    group: null,
    authConfig: null,
    caBundle: null,
    toolConfig: null,
    secrets: {},
    collisions: [],
    owned: { deployment: null, service: null, serviceAccount: null },
  };
}
