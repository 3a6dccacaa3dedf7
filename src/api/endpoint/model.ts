// The shapes the endpoint reconciler reads, as they arrive over the wire. Spec and status come from the generated CRD
// types; metadata is typed here because on the wire its timestamps are strings (the client library's V1ObjectMeta
// says Date). Core objects are typed only as far as the reconciler looks at them.
import type {
  MCPExternalAuthConfigSpec,
  MCPGroupSpec,
  MCPGroupStatus,
  MCPRemoteEndpointProxyConfig,
  MCPRemoteEndpointSpec,
  MCPRemoteEndpointStatus,
} from '../generated/index.ts';

import { GROUP_VERSION } from '../resources.ts';

export { GROUP_VERSION };

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/**
 * The owner reference the operator puts on what it creates for one of its resources: the controller, so a delete
 * of the owner deletes the objects, and the owner waits for that while foreground deletion runs.
 */
export function controllerReference(kind: string, owner: { metadata: ObjectMeta }): OwnerReference {
  return {
    apiVersion: GROUP_VERSION,
    kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export type EndpointSpec = MCPRemoteEndpointSpec;
export type EndpointStatus = MCPRemoteEndpointStatus;
export type ProxyConfig = MCPRemoteEndpointProxyConfig;

export interface Endpoint extends KubeObject {
  spec: EndpointSpec;
  status?: EndpointStatus;
}

export interface Group extends KubeObject {
  spec?: MCPGroupSpec;
  status?: MCPGroupStatus;
}

export interface ExternalAuthConfig extends KubeObject {
  spec: MCPExternalAuthConfigSpec;
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/**
 * A Secret as the operator keeps it in memory: key names only. Values are dropped on receipt, so no secret value
 * can reach a log, a status or a heap dump of the operator.
 */
export interface SecretKeys extends KubeObject {
  keys: string[];
  /**
   * sha256 of the `tls.crt` value when the Secret has one: a certificate is public, and a renewal changes it (the
   * gateway reads the session store's client certificate once, so its pods roll on this). No other value is kept.
   */
  tlsCertDigest?: string;
}

export interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface Deployment extends KubeObject {
  spec?: { replicas?: number; [k: string]: unknown };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
}

export type Service = KubeObject & { spec?: Record<string, unknown> };
export type ServiceAccount = KubeObject;
