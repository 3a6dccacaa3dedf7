// The hand checks of mcp-result-shapes.ts stand in for the SDK's schemas only if they never accept what a schema
// refuses: each check is run beside its schema on ordinary results and on every variant made by dropping a field or
// replacing it with a value of another type, at every depth.
import {
  CallToolResultSchema,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isOrdinaryListPage, isOrdinaryToolResult } from '../../../src/api/mcp-result-shapes.ts';

const objectSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { message: { type: 'string' }, n: { type: 'number' } },
  required: ['message'],
  additionalProperties: false,
};

/** Ordinary pages, as server-everything and other servers send them. */
const PAGES = {
  tools: {
    tools: [
      {
        name: 'echo',
        title: 'Echo',
        description: 'Echoes back the input',
        inputSchema: objectSchema,
        outputSchema: objectSchema,
        annotations: {
          title: 'Echo',
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        },
        execution: { taskSupport: 'optional' },
        _meta: { 'example.com/x': 1 },
      },
      { name: 'bare', inputSchema: { type: 'object' } },
    ],
    nextCursor: 'p2',
  },
  resources: {
    resources: [
      {
        uri: 'demo://resource/static/document/a.md',
        name: 'a.md',
        mimeType: 'text/markdown',
        description: 'A',
        size: 12,
      },
      { uri: 'x:1', name: 'one', title: 'One' },
    ],
  },
  resourceTemplates: {
    resourceTemplates: [
      { name: 'Dynamic', uriTemplate: 'demo://resource/dynamic/text/{id}', mimeType: 'text/plain', description: 'D' },
    ],
  },
  prompts: {
    prompts: [
      { name: 'simple', title: 'Simple', description: 'S' },
      { name: 'args', arguments: [{ name: 'city', description: 'City', required: true }, { name: 'state' }] },
    ],
    nextCursor: 'c',
  },
} as const;

const SCHEMAS = {
  tools: ListToolsResultSchema,
  resources: ListResourcesResultSchema,
  resourceTemplates: ListResourceTemplatesResultSchema,
  prompts: ListPromptsResultSchema,
} as const;

const TOOL_RESULTS = [
  { content: [{ type: 'text', text: 'Echo: hi' }] },
  {
    content: [
      { type: 'text', text: 'a' },
      { type: 'text', text: '' },
    ],
    isError: true,
  },
  { content: [], structuredContent: { answer: 42 }, extra: 'kept' },
  {},
];

const REPLACEMENTS: unknown[] = [null, 0, 1.5, 'x', '', true, [], {}, [1], { a: 1 }];

/** Every variant of `value` with one field, at any depth, dropped or replaced by a value of another kind. */
function* variants(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      yield value.filter((_, j) => j !== i);
      for (const v of [...REPLACEMENTS, ...variants(value[i])]) yield value.map((x, j) => (j === i ? v : x));
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      const { [key]: field, ...rest } = value as Record<string, unknown>;
      yield rest;
      for (const v of [...REPLACEMENTS, ...variants(field)]) yield { ...rest, [key]: v };
    }
  }
}

describe('the hand checks of MCP results', () => {
  it.each(Object.keys(PAGES) as (keyof typeof PAGES)[])('take ordinary %s pages as ordinary', (kind) => {
    expect(isOrdinaryListPage(kind, PAGES[kind])).toBe(true);
    expect(SCHEMAS[kind].safeParse(PAGES[kind]).success).toBe(true);
  });

  it.each(Object.keys(PAGES) as (keyof typeof PAGES)[])('never accept a %s page the SDK refuses', (kind) => {
    let checked = 0;
    for (const variant of variants(PAGES[kind])) {
      if (!isOrdinaryListPage(kind, variant)) continue;
      checked++;
      expect(SCHEMAS[kind].safeParse(variant).success, JSON.stringify(variant)).toBe(true);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('take text-only tool results as ordinary and never accept one the SDK refuses', () => {
    for (const result of TOOL_RESULTS) {
      expect(isOrdinaryToolResult(result)).toBe(true);
      expect(CallToolResultSchema.safeParse(result).success).toBe(true);
    }
    let checked = 0;
    for (const result of TOOL_RESULTS) {
      for (const variant of variants(result)) {
        if (!isOrdinaryToolResult(variant)) continue;
        checked++;
        expect(CallToolResultSchema.safeParse(variant).success, JSON.stringify(variant)).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('leave other shapes to the SDK', () => {
    expect(isOrdinaryToolResult({ content: [{ type: 'image', data: 'AA', mimeType: 'image/png' }] })).toBe(false);
    expect(isOrdinaryToolResult({ content: [{ type: 'text', text: 'a', annotations: {} }] })).toBe(false);
    expect(isOrdinaryListPage('tools', { tools: [], _meta: {} })).toBe(false);
    expect(isOrdinaryListPage('tools', { tools: [{ name: 'a', inputSchema: { type: 'object' }, icons: [] }] })).toBe(
      false,
    );
  });
});
