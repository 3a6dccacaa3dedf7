// The metadata a converted object keeps: name, namespace, labels and annotations. Fields the API server writes
// (uid, resourceVersion, ...) and kubectl's last-applied annotation describe the old object and are dropped quietly;
// anything else the user set (finalizers, owner references, ...) is reported, because carrying it over could block
// deletion or tie the new object's lifetime to another controller.
import { isPlainObject } from '../plain-object.ts';
import type { Report } from './report.ts';

const SERVER_MANAGED = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

const METADATA_REASONS: Record<string, string> = {
  finalizers:
    "finalizers belong to the old object's controller; the MCPRemoteEndpoint controller adds its own when it needs one",
  ownerReferences:
    'an owner reference names the old object’s owner by uid; add one by hand if the new object should be garbage-collected with that owner',
  generateName: 'the converted object keeps metadata.name, so generateName is not needed',
};

export interface ConvertedMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function convertMetadata(metadata: Record<string, unknown>, name: string, report: Report): ConvertedMetadata {
  const out: ConvertedMetadata = { name };
  if (typeof metadata.namespace === 'string' && metadata.namespace !== '') out.namespace = metadata.namespace;
  const labels = stringRecord(metadata.labels, 'metadata.labels', report);
  if (labels) out.labels = labels;
  const annotations = stringRecord(metadata.annotations, 'metadata.annotations', report, DROPPED_ANNOTATIONS);
  if (annotations) out.annotations = annotations;
  for (const key of Object.keys(metadata)) {
    if (['name', 'namespace', 'labels', 'annotations'].includes(key) || SERVER_MANAGED.has(key)) continue;
    if (metadata[key] === null || metadata[key] === undefined) continue;
    report.unmapped(
      `metadata.${key}`,
      METADATA_REASONS[key] ?? 'not carried over to the new object; set it by hand if it is still needed',
    );
  }
  return out;
}

function stringRecord(
  value: unknown,
  path: string,
  report: Report,
  dropped: ReadonlySet<string> = new Set(),
): Record<string, string> | undefined {
  if (value === null || value === undefined) return undefined;
  if (!isPlainObject(value)) {
    report.unmapped(path, 'it is not a map of strings; set it by hand');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const key of Object.keys(value).sort()) {
    if (dropped.has(key)) continue;
    const v = value[key];
    if (typeof v === 'string') out[key] = v;
    else report.unmapped(`${path}.${key}`, 'the value is not a string; Kubernetes accepts only string values here');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
