// A small offline check of a value against a CRD's structural schema: types, required fields, enums, patterns,
// bounds, and unknown fields. The API server silently prunes unknown fields, so a typo in an example would pass the
// integration tests unnoticed; this reports it. CEL rules are left to the real API server (integration tests).
import type { SchemaNode } from '../../../scripts/generate/crds.ts';

export function validateStructural(node: SchemaNode, value: unknown, path = ''): string[] {
  const at = path === '' ? '(root)' : path;
  if (value === null || value === undefined) return [];
  if (node['x-kubernetes-int-or-string'] === true) {
    return typeof value === 'string' || Number.isInteger(value) ? [] : [`${at}: expected int-or-string`];
  }
  switch (node.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected object`];
      const obj = value as Record<string, unknown>;
      const errors = (node.required ?? [])
        .filter((key) => obj[key] === undefined && node.properties?.[key]?.default === undefined)
        .map((key) => `${path === '' ? key : `${path}.${key}`}: required`);
      for (const [key, child] of Object.entries(obj)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        const prop = node.properties?.[key];
        if (prop !== undefined) errors.push(...validateStructural(prop, child, childPath));
        else if (typeof node.additionalProperties === 'object') {
          errors.push(...validateStructural(node.additionalProperties, child, childPath));
        } else if (node['x-kubernetes-preserve-unknown-fields'] !== true && node.properties !== undefined) {
          errors.push(`${childPath}: unknown field (the API server would drop it silently)`);
        }
      }
      return errors;
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: expected array`];
      const errors: string[] = [];
      if (node.minItems !== undefined && value.length < node.minItems)
        errors.push(`${at}: fewer than ${node.minItems} items`);
      value.forEach((item, i) => {
        if (node.items !== undefined) errors.push(...validateStructural(node.items, item, `${path}[${i}]`));
      });
      return errors;
    }
    case 'string': {
      if (typeof value !== 'string') return [`${at}: expected string`];
      const errors: string[] = [];
      if (node.enum !== undefined && !node.enum.includes(value))
        errors.push(`${at}: ${value} not in ${node.enum.join('|')}`);
      if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) {
        errors.push(`${at}: does not match ${node.pattern}`);
      }
      if (node.minLength !== undefined && value.length < node.minLength)
        errors.push(`${at}: shorter than ${node.minLength}`);
      if (node.maxLength !== undefined && value.length > node.maxLength)
        errors.push(`${at}: longer than ${node.maxLength}`);
      return errors;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (node.type === 'integer' && !Number.isInteger(value))) {
        return [`${at}: expected ${node.type}`];
      }
      const errors: string[] = [];
      if (node.minimum !== undefined && value < node.minimum) errors.push(`${at}: below ${node.minimum}`);
      if (node.maximum !== undefined && value > node.maximum) errors.push(`${at}: above ${node.maximum}`);
      return errors;
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected boolean`];
    default:
      return [];
  }
}
