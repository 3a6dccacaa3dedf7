// Names and labels of the objects the operator creates for a proxy endpoint. An endpoint name may be a 253-character
// DNS subdomain with dots; Service names must be 63-character DNS labels, and label values 63 characters. So names
// are derived deterministically, shortened with a hash suffix when needed, and never collide for distinct endpoints.
import { createHash } from 'node:crypto';
import type { Endpoint } from './model.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'mcpre';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const NAME_VALUE = 'mcpre-proxy';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** Selector for everything the operator owns: the owned-object informers watch only these. */
export const OWNED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
/** The finalizer a proxy endpoint carries while the operator owns objects for it. */
export const ENDPOINT_FINALIZER = 'toolhive.stacklok.dev/mcpremoteendpoint-finalizer';
/** Annotation holding the hash of what the operator last applied, so unchanged objects are not re-applied. */
export const APPLIED_HASH_ANNOTATION = 'mcpre.toolhive.stacklok.dev/applied-hash';

const MAX_LABEL = 63;

export interface ProxyNames {
  /** Deployment, Service and (when the operator creates it) ServiceAccount share this name. */
  name: string;
  /** Value of the instance label (and so of the pod selector). */
  instance: string;
}

export function proxyNames(endpointName: string): ProxyNames {
  return { name: shorten(`mcpre-${endpointName}`, endpointName), instance: shorten(endpointName, endpointName) };
}

/** Labels on every owned object and the pod template; the first three also select the pods. */
export function selectorLabels(endpointName: string): Record<string, string> {
  return {
    [NAME_LABEL]: NAME_VALUE,
    [INSTANCE_LABEL]: proxyNames(endpointName).instance,
  };
}

export function managedLabels(endpointName: string): Record<string, string> {
  return { ...selectorLabels(endpointName), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [COMPONENT_LABEL]: 'proxy' };
}

/** The cluster-internal URL of the proxy Service (RFC: status.url for type proxy, once the Deployment is ready). */
export function proxyServiceURL(endpoint: Endpoint): string {
  const port = endpoint.spec.proxyConfig?.proxyPort ?? 8080;
  return `http://${proxyNames(endpoint.metadata.name).name}.${endpoint.metadata.namespace}.svc.cluster.local:${port}`;
}

/** The ServiceAccount the proxy pod runs as: the user's, or the one the operator creates. */
export function proxyServiceAccountName(endpoint: Endpoint): string {
  return endpoint.spec.proxyConfig?.serviceAccount || proxyNames(endpoint.metadata.name).name;
}

// A DNS-1123 label: dots become dashes. When that changed the name or it is too long, a hash of the original keeps
// distinct endpoints (a.b and a-b) apart.
function shorten(candidate: string, original: string): string {
  const label = candidate.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (label === candidate && label.length <= MAX_LABEL) return label;
  const hash = createHash('sha256').update(original).digest('hex').slice(0, 8);
  const head = label.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}
