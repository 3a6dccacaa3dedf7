// The part of a conversion that does not depend on the source kind: apiVersion and kind of the result, metadata,
// dropping status (the new controller writes its own), and reporting unknown top-level keys.
import { isPlainObject } from '../plain-object.ts';
import { type Conversion, type ConvertOptions, convertedName, TARGET_GROUP_ANNOTATION } from './common-fields.ts';
import { orderByShape } from './copy-by-shape.ts';
import { type ConvertedMetadata, convertMetadata } from './metadata.ts';
import type { Report } from './report.ts';
import { fieldsOf, SPEC_SHAPE } from './target-shape.ts';

export const TARGET_API_VERSION = 'toolhive.stacklok.dev/v1alpha1';
export const TARGET_KIND = 'MCPRemoteEndpoint';
const MAX_NAME = 253;

export type SpecConversion = { spec: Record<string, unknown> } | { error: string };

export function convertEnvelope(
  doc: Record<string, unknown>,
  report: Report,
  options: ConvertOptions,
  convertSpec: (spec: Record<string, unknown>) => SpecConversion,
): Conversion {
  const metadata = isPlainObject(doc.metadata) ? doc.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    return { ok: false, error: 'metadata.name is missing; a converted object needs a name' };
  }
  if (!isPlainObject(doc.spec)) return { ok: false, error: 'spec is missing or not an object' };
  for (const key of Object.keys(doc)) {
    if (['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key)) continue;
    report.unmapped(key, 'not part of a Kubernetes object that mcpre migrate knows; add it by hand if it matters');
  }
  const name = convertedName(metadata.name, report, options);
  if (name.length > MAX_NAME) {
    return {
      ok: false,
      error: `the new name ${name} is longer than ${MAX_NAME} characters; use a shorter --name-suffix`,
    };
  }
  const convertedMetadata = convertMetadata(metadata, name, report);
  const converted = convertSpec(doc.spec);
  if ('error' in converted) return { ok: false, error: converted.error };
  if (options.stagingGroup) stage(converted.spec, convertedMetadata, options.stagingGroup, report);
  return {
    ok: true,
    object: {
      apiVersion: TARGET_API_VERSION,
      kind: TARGET_KIND,
      metadata: convertedMetadata,
      spec: orderByShape(converted.spec, fieldsOf(SPEC_SHAPE)),
    },
  };
}

/** --staging-group: the endpoint starts in the staging group; its own group waits in an annotation. */
function stage(spec: Record<string, unknown>, metadata: ConvertedMetadata, stagingGroup: string, report: Report): void {
  const target = String(spec.groupRef);
  metadata.annotations = Object.fromEntries(
    Object.entries({ ...metadata.annotations, [TARGET_GROUP_ANNOTATION]: target }).sort(([a], [b]) =>
      a.localeCompare(b),
    ),
  );
  spec.groupRef = stagingGroup;
  report.note(
    `staged in group ${stagingGroup} (--staging-group); its group ${target} is in the ${TARGET_GROUP_ANNOTATION} annotation until you switch it`,
  );
}
