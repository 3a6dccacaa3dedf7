// The other objects in the same input, by kind, namespace and name. ToolHive v1beta1 proxies point at shared
// MCPOIDCConfig and MCPTelemetryConfig objects, while MCPRemoteEndpoint takes those settings inline; when the user
// includes the referenced objects in the input (`kubectl get mcpremoteproxy,mcpoidcconfig,... -o yaml`), the
// converter can inline them instead of leaving a placeholder.
import { isPlainObject } from '../plain-object.ts';

export interface InputIndex {
  find(kind: string, namespace: string, name: string): Record<string, unknown> | undefined;
}

export function indexObjects(objects: readonly unknown[]): InputIndex {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const object of objects) {
    if (!isPlainObject(object) || typeof object.kind !== 'string') continue;
    const metadata = isPlainObject(object.metadata) ? object.metadata : {};
    if (typeof metadata.name !== 'string') continue;
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
    const key = `${object.kind}/${namespace}/${metadata.name}`;
    // The first wins: a later duplicate is more likely a stale copy pasted into the same file.
    if (!byKey.has(key)) byKey.set(key, object);
  }
  return {
    find: (kind, namespace, name) => byKey.get(`${kind}/${namespace}/${name}`),
  };
}

export const EMPTY_INDEX: InputIndex = indexObjects([]);
