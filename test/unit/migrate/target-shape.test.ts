// The migration copies, orders and checks fields with a hand-written descriptor of MCPRemoteEndpoint's spec. This
// test walks the CRD's openAPIV3Schema beside it, so an edit to the CRD that the descriptor does not follow (a new
// field, a renamed one, a changed enum or requirement) fails here instead of producing unapplyable output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { httpUrlCelRule } from '../../../src/api/http-url.ts';
import { type Shape, SPEC_SHAPE } from '../../../src/api/migrate/target-shape.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode;
  items?: SchemaNode;
  required?: string[];
  enum?: string[];
  minLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  default?: unknown;
  'x-kubernetes-validations'?: Array<{ rule: string }>;
}

function endpointSpecSchema(): SchemaNode {
  const crd = parse(readFileSync(join(REPO_ROOT, 'crds/toolhive.stacklok.dev_mcpremoteendpoints.yaml'), 'utf8'));
  return crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
}

/** Every difference between descriptor and schema, as readable lines (empty when they agree). */
function compare(shape: Shape, node: SchemaNode, path: string): string[] {
  const diffs: string[] = [];
  switch (shape.kind) {
    case 'object': {
      if (node.type !== 'object' || !node.properties) return [`${path}: descriptor object, CRD ${node.type}`];
      const crdKeys = Object.keys(node.properties);
      const shapeKeys = Object.keys(shape.fields);
      if (crdKeys.join(',') !== shapeKeys.join(',')) diffs.push(`${path}: keys ${shapeKeys} vs CRD ${crdKeys}`);
      const requiredWithoutDefault = (node.required ?? []).filter((k) => node.properties?.[k]?.default === undefined);
      const shapeRequired = [...(shape.required ?? [])].sort();
      if (shapeRequired.join(',') !== requiredWithoutDefault.sort().join(',')) {
        diffs.push(`${path}: required ${shapeRequired} vs CRD (without defaults) ${requiredWithoutDefault}`);
      }
      for (const key of shapeKeys) {
        const child = node.properties[key];
        const childShape = shape.fields[key];
        if (child && childShape) diffs.push(...compare(childShape, child, `${path}.${key}`));
      }
      return diffs;
    }
    case 'map':
      if (node.type !== 'object' || !node.additionalProperties) return [`${path}: descriptor map, CRD not a map`];
      return compare(shape.values, node.additionalProperties, `${path}.*`);
    case 'list':
      if (node.type !== 'array' || !node.items) return [`${path}: descriptor list, CRD ${node.type}`];
      return compare(shape.items, node.items, `${path}[]`);
    case 'string':
      if (node.type !== 'string') diffs.push(`${path}: descriptor string, CRD ${node.type}`);
      if ((shape.enum ?? []).join(',') !== (node.enum ?? []).join(',')) diffs.push(`${path}: enum differs`);
      if (shape.minLength !== node.minLength) diffs.push(`${path}: minLength ${shape.minLength} vs ${node.minLength}`);
      if (shape.pattern?.source.replaceAll('\\/', '/') !== node.pattern) diffs.push(`${path}: pattern differs`);
      {
        const crdRule = node['x-kubernetes-validations']?.find((r) => r.rule.includes('isURL('))?.rule;
        const wanted = shape.url ? httpUrlCelRule({ optional: shape.url === 'optional' }) : undefined;
        if (crdRule !== wanted) diffs.push(`${path}: URL rule differs`);
      }
      return diffs;
    case 'integer':
      if (node.type !== 'integer') diffs.push(`${path}: descriptor integer, CRD ${node.type}`);
      if (shape.minimum !== node.minimum || shape.maximum !== node.maximum) diffs.push(`${path}: range differs`);
      return diffs;
    case 'boolean':
      return node.type === 'boolean' ? [] : [`${path}: descriptor boolean, CRD ${node.type}`];
  }
}

describe('the MCPRemoteEndpoint spec descriptor used by mcpre migrate', () => {
  it('matches the CRD schema field for field: keys and their order, types, enums, lengths, ranges, requirements', () => {
    expect(compare(SPEC_SHAPE, endpointSpecSchema(), 'spec')).toEqual([]);
  });

  it('notices a drift (a field the CRD does not have)', () => {
    const drifted: Shape = {
      kind: 'object',
      fields: { ...(SPEC_SHAPE.kind === 'object' ? SPEC_SHAPE.fields : {}), replicas: { kind: 'integer' } },
      required: SPEC_SHAPE.kind === 'object' ? SPEC_SHAPE.required : [],
    };
    expect(compare(drifted, endpointSpecSchema(), 'spec')).toEqual([
      expect.stringContaining('spec: keys type,remoteURL,transport,groupRef'),
    ]);
  });
});
