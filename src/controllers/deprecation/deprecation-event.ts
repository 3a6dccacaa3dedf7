// The Warning event mcpre puts on every ToolHive MCPRemoteProxy and MCPServerEntry (THV-0067 "Deprecation"): one
// events.k8s.io Event per object under a stable name, whose series is bumped when the object is reconciled again, so
// `kubectl describe` shows one line "(x5 over 2h)" instead of a new event per reconcile. Pure: names and bodies.
import { REPORTING_CONTROLLER } from '../../actors/kube/record-events.ts';

export interface DeprecatedKind {
  kind: 'MCPRemoteProxy' | 'MCPServerEntry';
  /** The kind and mode that replaces it. */
  replacement: string;
  /** kubectl's resource name, for the command in the note. */
  resource: string;
}

export const DEPRECATED_KINDS: readonly DeprecatedKind[] = [
  { kind: 'MCPRemoteProxy', replacement: 'MCPRemoteEndpoint with type: proxy', resource: 'mcpremoteproxy' },
  { kind: 'MCPServerEntry', replacement: 'MCPRemoteEndpoint with type: direct', resource: 'mcpserverentry' },
];

export const DEPRECATION_REASON = 'Deprecated';

export interface DeprecatedObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** One name per object (the uid keeps a re-created object of the same name from inheriting the old count). */
export function deprecationEventName(obj: DeprecatedObject): string {
  return `${obj.name.slice(0, 200)}.mcpre-deprecated.${obj.uid.replace(/-/g, '').slice(0, 12)}`;
}

export function deprecationNote(kind: DeprecatedKind, obj: DeprecatedObject): string {
  return (
    `${kind.kind} is deprecated (THV-0067); use ${kind.replacement} instead. ` +
    `Convert it with: kubectl get ${kind.resource} ${obj.name} -n ${obj.namespace} -o yaml | mcpre migrate -f - ` +
    '(fields without an equivalent are listed on stderr; see docs/migration.md).'
  );
}

/** The first event for an object (series absent: Kubernetes reads that as "seen once"). */
export function deprecationEvent(kind: DeprecatedKind, obj: DeprecatedObject, nowMicro: string, instance: string) {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: deprecationEventName(obj), namespace: obj.namespace },
    eventTime: nowMicro,
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: instance.slice(0, 128),
    action: 'Reconcile',
    reason: DEPRECATION_REASON,
    type: 'Warning',
    note: deprecationNote(kind, obj),
    regarding: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.namespace, name: obj.name, uid: obj.uid },
  };
}

/** The merge patch that records one more observation of the same event (events.k8s.io series). */
export function seriesBump(previousCount: number, nowMicro: string) {
  return { series: { count: Math.max(2, previousCount + 1), lastObservedTime: nowMicro } };
}

/** How many times an event has been observed: 1 without a series. */
export function observedCount(event: { series?: { count?: number } | null } | undefined): number {
  return event?.series?.count ?? 1;
}
