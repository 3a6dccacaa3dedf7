// Copies a source subtree into the target shape: keys the target knows are kept (in the target's order, maps sorted),
// everything else is reported with its source path, and values of the wrong type or outside an enum are reported
// rather than emitted, so the output always passes the CRD's structural schema. Null means "unset" (Go's omitempty
// does not apply to every ToolHive field, so objects read back from a cluster carry `useClusterAuth: null` and the
// like) and is dropped without a report. Empty objects and lists are pruned: they mean the same as absent.
import { httpUrlProblem } from '../http-url.ts';
import { isPlainObject } from '../plain-object.ts';
import type { Report } from './report.ts';
import type { Shape } from './target-shape.ts';

/** Explains, for a source path with list indices written `[]`, why that field has no equivalent. */
export type Explain = (normalizedPath: string) => string | undefined;

export const GENERIC_REASON =
  'MCPRemoteEndpoint has no such field; check the spelling, or configure the behaviour by hand if the workload needs it';

export interface CopyContext {
  report: Report;
  explain?: Explain;
}

export function normalizePath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

export function reportUnknown(ctx: CopyContext, path: string): void {
  ctx.report.unmapped(path, ctx.explain?.(normalizePath(path)) ?? GENERIC_REASON);
}

/** The copied value, or undefined when nothing usable was there (what was lost is already reported). */
export function copyByShape(value: unknown, shape: Shape, path: string, ctx: CopyContext): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.kind) {
    case 'string':
      return copyString(value, shape, path, ctx);
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) {
        if (
          (shape.minimum !== undefined && value < shape.minimum) ||
          (shape.maximum !== undefined && value > shape.maximum)
        ) {
          ctx.report.unmapped(
            path,
            `value ${value} is outside ${shape.minimum}..${shape.maximum}; set a valid value by hand`,
          );
          return undefined;
        }
        return value;
      }
      return wrongType(ctx, path, value, 'an integer');
    case 'boolean':
      return typeof value === 'boolean' ? value : wrongType(ctx, path, value, 'true or false');
    case 'object': {
      const out = copyObject(value, shape.fields, path, ctx);
      const missing = (shape.required ?? []).filter((key) => out?.[key] === undefined);
      if (out !== undefined && missing.length > 0) {
        ctx.report.unmapped(
          path,
          `it lacks ${missing.join(', ')}, which MCPRemoteEndpoint requires here, so it was left out; complete it by hand`,
        );
        return undefined;
      }
      return out;
    }
    case 'map': {
      if (!isPlainObject(value)) return wrongType(ctx, path, value, 'a map');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort()) {
        const copied = copyByShape(value[key], shape.values, `${path}.${key}`, ctx);
        if (copied !== undefined) out[key] = copied;
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    case 'list': {
      if (!Array.isArray(value)) return wrongType(ctx, path, value, 'a list');
      const out = value
        .map((item, i) => copyByShape(item, shape.items, `${path}[${i}]`, ctx))
        .filter((item) => item !== undefined);
      return out.length > 0 ? out : undefined;
    }
  }
}

export function copyObject(
  value: unknown,
  fields: Readonly<Record<string, Shape>>,
  path: string,
  ctx: CopyContext,
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return wrongType(ctx, path, value, 'an object') as undefined;
  for (const key of Object.keys(value)) {
    if (!(key in fields) && value[key] !== null && value[key] !== undefined) reportUnknown(ctx, `${path}.${key}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, fieldShape] of Object.entries(fields)) {
    const copied = copyByShape(value[key], fieldShape, `${path}.${key}`, ctx);
    if (copied !== undefined) out[key] = copied;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Re-orders a record's keys into the shape's field order; keys the shape does not know go last, sorted. */
export function orderByShape(
  record: Record<string, unknown>,
  fields: Readonly<Record<string, Shape>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) if (record[key] !== undefined) out[key] = record[key];
  for (const key of Object.keys(record).sort()) if (!(key in out) && record[key] !== undefined) out[key] = record[key];
  return out;
}

function copyString(
  value: unknown,
  shape: Extract<Shape, { kind: 'string' }>,
  path: string,
  ctx: CopyContext,
): string | undefined {
  if (typeof value !== 'string') return wrongType(ctx, path, value, 'a string') as undefined;
  if (shape.enum && !shape.enum.includes(value)) {
    ctx.report.unmapped(path, `value ${JSON.stringify(value)} is not one of ${shape.enum.join(', ')}; set one by hand`);
    return undefined;
  }
  if (shape.minLength !== undefined && value.length < shape.minLength) {
    ctx.report.unmapped(path, 'the value is empty and MCPRemoteEndpoint requires a non-empty one; set it by hand');
    return undefined;
  }
  if (shape.url && !(shape.url === 'optional' && value === '')) {
    const problem = httpUrlProblem(value);
    if (problem) {
      ctx.report.unmapped(path, `the URL ${problem}; MCPRemoteEndpoint would refuse it, set it by hand`);
      return undefined;
    }
  }
  if (shape.pattern && !shape.pattern.test(value)) {
    ctx.report.unmapped(path, `value ${JSON.stringify(value)} does not match ${shape.pattern.source}`);
    return undefined;
  }
  return value;
}

function wrongType(ctx: CopyContext, path: string, value: unknown, expected: string): undefined {
  const actual = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  ctx.report.unmapped(path, `the value is ${actual} where MCPRemoteEndpoint expects ${expected}; set it by hand`);
  return undefined;
}
