// The everyday shapes of MCP results, checked by hand: a tools/call result of text blocks and the pages of the four
// lists with the fields servers commonly send. Each check accepts only what the MCP SDK's schema for it accepts too
// (test/unit/api/mcp-result-shapes.test.ts holds them side by side); anything else is for the caller to judge with the
// SDK's schema, loaded then. So the schemas (zod, built at import) stay unloaded while answers look ordinary.
import { isPlainObject } from './plain-object.ts';

type ListKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

const absentOr = (value: unknown, check: (v: unknown) => boolean): boolean => value === undefined || check(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isFiniteNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);

/** Every key of `value` is one of `keys`, and each present key passes its check. */
function hasOnly(value: unknown, keys: Record<string, (v: unknown) => boolean>): boolean {
  if (!isPlainObject(value)) return false;
  for (const [key, field] of Object.entries(value)) {
    const check = keys[key];
    if (!check || !absentOr(field, check)) return false;
  }
  return true;
}

const required = (value: unknown, key: string, check: (v: unknown) => boolean): boolean =>
  isPlainObject(value) && check(value[key]);

const isStringArray = (value: unknown): boolean => Array.isArray(value) && value.every(isString);

/** A tool's inputSchema / outputSchema: a JSON Schema object type; other keywords are the server's business. */
function isObjectSchema(value: unknown): boolean {
  if (!isPlainObject(value) || value.type !== 'object') return false;
  const { properties } = value;
  const propertiesOk =
    properties === undefined ||
    (isPlainObject(properties) &&
      Object.values(properties).every((p) => p !== null && (typeof p === 'object' || typeof p === 'function')));
  return propertiesOk && absentOr(value.required, isStringArray);
}

const TOOL_ANNOTATIONS = {
  title: isString,
  readOnlyHint: isBoolean,
  destructiveHint: isBoolean,
  idempotentHint: isBoolean,
  openWorldHint: isBoolean,
};
const TASK_SUPPORT = new Set(['required', 'optional', 'forbidden']);

const TOOL = {
  name: isString,
  title: isString,
  description: isString,
  inputSchema: isObjectSchema,
  outputSchema: isObjectSchema,
  annotations: (v: unknown) => hasOnly(v, TOOL_ANNOTATIONS),
  execution: (v: unknown) => hasOnly(v, { taskSupport: (t) => TASK_SUPPORT.has(t as string) }),
  _meta: isPlainObject,
};
const RESOURCE = {
  uri: isString,
  name: isString,
  title: isString,
  description: isString,
  mimeType: isString,
  size: isFiniteNumber,
};
const RESOURCE_TEMPLATE = {
  uriTemplate: isString,
  name: isString,
  title: isString,
  description: isString,
  mimeType: isString,
};
const PROMPT_ARGUMENT = { name: isString, description: isString, required: isBoolean };
const PROMPT = {
  name: isString,
  title: isString,
  description: isString,
  arguments: (v: unknown) =>
    Array.isArray(v) && v.every((a) => hasOnly(a, PROMPT_ARGUMENT) && required(a, 'name', isString)),
};

const ITEMS: Record<ListKind, { field: string; item: (v: unknown) => boolean }> = {
  tools: {
    field: 'tools',
    item: (t) => hasOnly(t, TOOL) && required(t, 'name', isString) && required(t, 'inputSchema', isObjectSchema),
  },
  resources: {
    field: 'resources',
    item: (r) => hasOnly(r, RESOURCE) && required(r, 'uri', isString) && required(r, 'name', isString),
  },
  resourceTemplates: {
    field: 'resourceTemplates',
    item: (r) => hasOnly(r, RESOURCE_TEMPLATE) && required(r, 'uriTemplate', isString) && required(r, 'name', isString),
  },
  prompts: { field: 'prompts', item: (p) => hasOnly(p, PROMPT) && required(p, 'name', isString) },
};

/** A page of list `kind` as servers commonly send it (no `_meta`, no icons); false means: ask the SDK's schema. */
export function isOrdinaryListPage(kind: ListKind, page: unknown): boolean {
  if (!isPlainObject(page) || page._meta !== undefined || !absentOr(page.nextCursor, isString)) return false;
  const { field, item } = ITEMS[kind];
  const items = page[field];
  return Array.isArray(items) && items.every(item);
}

const isTextBlock = (block: unknown): boolean =>
  hasOnly(block, { type: (t) => t === 'text', text: isString }) &&
  required(block, 'type', (t) => t === 'text') &&
  required(block, 'text', isString);

/** A tools/call result of text blocks only; false means: ask the SDK's schema. */
export function isOrdinaryToolResult(result: unknown): boolean {
  return (
    isPlainObject(result) &&
    result._meta === undefined &&
    absentOr(result.content, (c) => Array.isArray(c) && c.every(isTextBlock)) &&
    absentOr(result.structuredContent, isPlainObject) &&
    absentOr(result.isError, isBoolean)
  );
}
