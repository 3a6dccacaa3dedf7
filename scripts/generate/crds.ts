// Loads the CRD YAML files in crds/ (the single source of truth for schemas) into plain objects, and walks their
// openAPIV3Schema. Used by the type generator, the reference-doc generator and the schema unit tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The subset of a structural OpenAPI v3 schema node that CRDs use. */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [key: string]: unknown;
}

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: SchemaNode };
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; listKind: string; shortNames?: string[] };
    versions: CrdVersion[];
  };
}

export interface LoadedCrd {
  /** Path relative to the repository root, e.g. crds/toolhive.stacklok.dev_mcpgroups.yaml */
  file: string;
  crd: Crd;
  /** The storage version (every CRD of this project has exactly one version). */
  version: CrdVersion;
}

/** Reads every *.yaml in `dir` (sorted by name, so callers are deterministic). Throws with the file name on bad input. */
export function loadCrds(repoRoot: string, dir = 'crds'): LoadedCrd[] {
  const files = readdirSync(join(repoRoot, dir))
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  return files.map((name) => {
    const file = `${dir}/${name}`;
    const doc = parse(readFileSync(join(repoRoot, file), 'utf8')) as Crd;
    if (doc?.kind !== 'CustomResourceDefinition' || doc.apiVersion !== 'apiextensions.k8s.io/v1') {
      throw new Error(`${file}: not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
    }
    const storage = doc.spec.versions.filter((v) => v.storage);
    const version = storage[0];
    if (storage.length !== 1 || version === undefined) {
      throw new Error(`${file}: expected exactly one storage version, found ${storage.length}`);
    }
    return { file, crd: doc, version };
  });
}

export interface VisitedNode {
  /** Dotted path from the root, with [] for array items and * for map values, e.g. spec.headerForward.addHeadersFromSecret[].headerName */
  path: string;
  node: SchemaNode;
  /** Whether the parent object lists this property as required. */
  required: boolean;
}

/** Depth-first, properties in declaration order; yields the root with path ''. */
export function* walkSchema(node: SchemaNode, path = '', required = false): Generator<VisitedNode> {
  yield { path, node, required };
  const requiredSet = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    yield* walkSchema(child, path === '' ? key : `${path}.${key}`, requiredSet.has(key));
  }
  if (node.items !== undefined) yield* walkSchema(node.items, `${path}[]`, false);
  if (typeof node.additionalProperties === 'object') {
    yield* walkSchema(node.additionalProperties, `${path}.*`, false);
  }
}
