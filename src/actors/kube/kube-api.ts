// The port through which effect actors talk to the Kubernetes API: one `request` call, typed errors, and resource
// paths. The implementation (undici, one connection pool) lives in src/runtime/kube/kube-http.ts; tests and the
// simulator can supply their own.
import {
  MCP_EXTERNAL_AUTH_CONFIG,
  MCP_GROUP,
  MCP_REMOTE_ENDPOINT,
  TOOLHIVE_MCP_REMOTE_PROXY,
  TOOLHIVE_MCP_SERVER,
} from '../../api/resources.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  signal?: AbortSignal;
  /** Order in the write queue: higher goes first (default 0); best-effort writes such as Events use less. */
  priority?: number;
  /** The caller does not read a successful answer: its body is drained unparsed and the result is undefined. */
  discardResponse?: boolean;
}

export interface KubeApi {
  request<T = unknown>(req: KubeRequest): Promise<T>;
}

export const ContentType = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  jsonPatch: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** A non-2xx answer from the API server (or a transport failure, with no code). */
export class KubeApiError extends Error {
  readonly code: number | undefined;
  /** The Status reason (Conflict, NotFound, AlreadyExists, Invalid...). */
  readonly reason: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, code?: number, reason?: string, retryAfterMs?: number) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const Resources = {
  endpoint: MCP_REMOTE_ENDPOINT,
  group: MCP_GROUP,
  authConfig: MCP_EXTERNAL_AUTH_CONFIG,
  mcpServer: TOOLHIVE_MCP_SERVER,
  mcpRemoteProxy: TOOLHIVE_MCP_REMOTE_PROXY,
  configMap: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  secret: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' },
  serviceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount' },
  service: { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  deployment: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  event: { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event' },
} as const satisfies Record<string, ResourceType>;

/** The collection path; without a namespace, across all namespaces. */
export function collectionPath(r: ResourceType, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}` : `${base}/${r.plural}`;
}

export function objectPath(r: ResourceType, namespace: string, name: string, subresource?: string): string {
  const path = `${collectionPath(r, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${path}/${subresource}` : path;
}

/** The resource type of an owned kind (for apply and delete). */
export function ownedResource(kind: 'ServiceAccount' | 'Deployment' | 'Service'): ResourceType {
  if (kind === 'Deployment') return Resources.deployment;
  if (kind === 'Service') return Resources.service;
  return Resources.serviceAccount;
}

/** The field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = 'mcpre';

/**
 * Server-side apply of one object under the operator's field manager (fields it stops setting are removed, fields
 * others own are kept); answers the object as the API server stored it.
 */
export function applyObject<T>(
  api: KubeApi,
  resource: ResourceType,
  manifest: { metadata: { namespace?: string; name: string } },
  signal?: AbortSignal,
): Promise<T> {
  return api.request<T>({
    method: 'PATCH',
    path: objectPath(resource, manifest.metadata.namespace ?? '', manifest.metadata.name),
    query: { fieldManager: FIELD_MANAGER, force: true },
    contentType: ContentType.apply,
    body: manifest,
    signal,
  });
}

/** One object read live from the API server, or null when it does not exist. */
export async function readObject<T>(
  api: KubeApi,
  resource: ResourceType,
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<T | null> {
  try {
    return await api.request<T>({ method: 'GET', path: objectPath(resource, namespace, name), signal });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return null;
  }
}
