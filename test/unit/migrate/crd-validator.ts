// Validates objects the way the API server would before storing an MCPRemoteEndpoint, minus the server itself:
// the CRD's openAPIV3Schema with Ajv (defaults applied first, as the server does), the spec's two CEL rules
// written out in TypeScript (the integration test runs the real ones), and the metadata.name format.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../support/control-plane.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const crd = parse(readFileSync(join(REPO_ROOT, 'crds/toolhive.stacklok.dev_mcpremoteendpoints.yaml'), 'utf8'));
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false });
  addFormats.default(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addVocabulary([
    'x-kubernetes-validations',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-preserve-unknown-fields',
  ]);
  // Structural schemas forbid unknown fields by pruning them; for a converter that would be silent data loss, so
  // this check treats any field the schema does not declare as an error instead.
  compiled = ajv.compile(closeObjects(schema) as object);
  return compiled;
}

/** Every reason the API server would reject (or silently prune part of) the object; empty when it would accept it. */
export function validateEndpoint(object: unknown): string[] {
  const copy = structuredClone(object) as Record<string, unknown>;
  const validate = validator();
  const errors: string[] = [];
  if (!validate(copy)) {
    for (const e of validate.errors ?? [])
      errors.push(`${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
  if (copy.apiVersion !== 'toolhive.stacklok.dev/v1alpha1') errors.push(`apiVersion ${String(copy.apiVersion)}`);
  if (copy.kind !== 'MCPRemoteEndpoint') errors.push(`kind ${String(copy.kind)}`);
  const metadata = (copy.metadata ?? {}) as Record<string, unknown>;
  if (typeof metadata.name !== 'string' || !DNS_SUBDOMAIN.test(metadata.name) || metadata.name.length > 253) {
    errors.push(`metadata.name ${JSON.stringify(metadata.name)} is not a DNS subdomain`);
  }
  const spec = (copy.spec ?? {}) as Record<string, unknown>;
  // The CRD's x-kubernetes-validations on spec, evaluated after defaulting (spec.type defaults to proxy).
  if (!(spec.type !== 'proxy' || spec.proxyConfig !== undefined)) errors.push('CEL: proxyConfig required for proxy');
  if (!(spec.type !== 'direct' || spec.proxyConfig === undefined)) errors.push('CEL: proxyConfig forbidden for direct');
  return errors;
}

/** The schema with additionalProperties: false on every object that lists its properties. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // `properties` maps field names to schemas: recurse into each schema, never treat the map itself as a schema.
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, closeObjects(v)]))
        : closeObjects(value);
  }
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}
