import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AggregationConfig, validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type AggregateInput, aggregate, routeResource } from '../../../src/gateway/aggregate.ts';
import { type BackendLists, emptyLists } from '../../../src/gateway/backend.ts';

const tool = (name: string, description = `${name} tool`): Tool => ({
  name,
  description,
  inputSchema: { type: 'object' },
});

const backend = (name: string, lists: Partial<BackendLists>): AggregateInput => ({
  name,
  lists: { ...emptyLists(), ...lists },
});

function aggregation(input: object = {}): AggregationConfig {
  const names = ['a', 'b', 'c', 'github', 'jira', 'x'];
  return validateGatewayConfig({
    backends: names.map((name) => ({ name, url: `http://${name}.example/mcp` })),
    aggregation: input,
  }).aggregation;
}

describe('prefix strategy (default)', () => {
  it('prefixes every tool with the backend name and orders by exposed name', () => {
    const view = aggregate(
      [backend('jira', { tools: [tool('search'), tool('create')] }), backend('github', { tools: [tool('search')] })],
      aggregation(),
    );
    expect(view.tools.map((t) => t.name)).toEqual(['github_search', 'jira_create', 'jira_search']);
    expect(view.toolRoutes.get('jira_search')).toEqual({ backend: 'jira', originalName: 'search' });
    expect(view.conflicts).toEqual([]);
  });

  it("honours a custom prefix format, including ToolHive's {workload} placeholder", () => {
    const view = aggregate(
      [backend('github', { tools: [tool('search')] })],
      aggregation({ conflictResolutionConfig: { prefixFormat: '{workload}.' } }),
    );
    expect(view.tools.map((t) => t.name)).toEqual(['github.search']);
  });

  it('hides the second of two names that collide after prefixing, and says so', () => {
    // A prefix format without the backend name makes every backend's tools collide: the first backend wins.
    const collide = aggregate(
      [backend('a', { tools: [tool('same')] }), backend('b', { tools: [tool('same')] })],
      aggregation({ conflictResolutionConfig: { prefixFormat: 'p_' } }),
    );
    expect(collide.tools.map((t) => t.name)).toEqual(['p_same']);
    expect(collide.toolRoutes.get('p_same')?.backend).toBe('a');
    expect(collide.conflicts).toEqual([
      'tool "p_same" of backend "b" is hidden: the name is already used by backend "a"',
    ]);
  });
});

describe('priority strategy', () => {
  const cfg = aggregation({
    conflictResolution: 'priority',
    conflictResolutionConfig: { priorityOrder: ['jira', 'github'] },
  });

  it('keeps unique names bare and gives a conflicting name to the highest priority backend', () => {
    const view = aggregate(
      [
        backend('github', { tools: [tool('search'), tool('pr')] }),
        backend('jira', { tools: [tool('search'), tool('issue')] }),
      ],
      cfg,
    );
    expect(view.tools.map((t) => t.name)).toEqual(['issue', 'pr', 'search']);
    expect(view.toolRoutes.get('search')?.backend).toBe('jira');
    expect(view.conflicts).toEqual(['tool "search" of backend "github" is hidden: backend "jira" has priority']);
  });

  it('prefixes backends missing from the priority order when they conflict', () => {
    const view = aggregate(
      [backend('x', { tools: [tool('search')] }), backend('jira', { tools: [tool('search')] })],
      cfg,
    );
    expect(view.tools.map((t) => t.name)).toEqual(['search', 'x_search']);
    expect(view.toolRoutes.get('x_search')).toEqual({ backend: 'x', originalName: 'search' });
  });

  it('prefixes all conflicting backends when none is in the priority order', () => {
    const view = aggregate([backend('a', { tools: [tool('t')] }), backend('b', { tools: [tool('t')] })], cfg);
    expect(view.tools.map((t) => t.name)).toEqual(['a_t', 'b_t']);
  });
});

describe('manual strategy', () => {
  it('uses overrides to resolve conflicts and keeps the first backend (by name) otherwise, with a conflict note', () => {
    const resolved = aggregate(
      [backend('github', { tools: [tool('search')] }), backend('jira', { tools: [tool('search')] })],
      aggregation({
        conflictResolution: 'manual',
        tools: [{ backend: 'jira', overrides: { search: { name: 'find_issues' } } }],
      }),
    );
    expect(resolved.tools.map((t) => t.name)).toEqual(['find_issues', 'search']);
    expect(resolved.toolRoutes.get('find_issues')).toEqual({ backend: 'jira', originalName: 'search' });
    expect(resolved.conflicts).toEqual([]);

    const unresolved = aggregate(
      [backend('jira', { tools: [tool('search')] }), backend('github', { tools: [tool('search')] })],
      aggregation({ conflictResolution: 'manual' }),
    );
    expect(unresolved.tools.map((t) => t.name)).toEqual(['search']);
    expect(unresolved.toolRoutes.get('search')?.backend).toBe('github');
    expect(unresolved.conflicts[0]).toMatch(/backend "jira" is hidden.*add an override/);
  });
});

describe('tool config (MCPToolConfig shape)', () => {
  it('filters by original name, overrides name, description and annotations, and routes under the original name', () => {
    const view = aggregate(
      [
        backend('github', {
          tools: [
            { ...tool('search'), annotations: { title: 'Search', readOnlyHint: true } },
            tool('delete_repo'),
            tool('pr'),
          ],
        }),
      ],
      aggregation({
        tools: [
          {
            backend: 'github',
            filter: ['search', 'pr'],
            overrides: {
              search: { name: 'code_search', description: 'Search code', annotations: { title: 'Code search' } },
            },
          },
        ],
      }),
    );
    expect(view.tools.map((t) => t.name)).toEqual(['github_code_search', 'github_pr']);
    expect(view.tools[0]).toMatchObject({
      description: 'Search code',
      annotations: { title: 'Code search', readOnlyHint: true },
    });
    expect(view.toolRoutes.get('github_code_search')).toEqual({ backend: 'github', originalName: 'search' });
    expect(view.toolRoutes.has('github_delete_repo')).toBe(false);
  });

  it('excludeAll hides every tool but keeps resources and prompts', () => {
    const view = aggregate(
      [
        backend('a', {
          tools: [tool('t')],
          prompts: [{ name: 'p' }],
          resources: [{ uri: 'file:///r', name: 'r' }],
        }),
      ],
      aggregation({ tools: [{ backend: 'a', excludeAll: true }] }),
    );
    expect(view.tools).toEqual([]);
    expect(view.prompts.map((p) => p.name)).toEqual(['a_p']);
    expect(view.resources.map((r) => r.uri)).toEqual(['file:///r']);
  });

  it('does not mutate the backend lists it is given', () => {
    const lists = { ...emptyLists(), tools: [tool('search')] };
    const frozen = JSON.stringify(lists);
    aggregate(
      [{ name: 'a', lists }],
      aggregation({ tools: [{ backend: 'a', overrides: { search: { description: 'x' } } }] }),
    );
    expect(JSON.stringify(lists)).toBe(frozen);
  });
});

describe('resources and templates', () => {
  const view = aggregate(
    [
      backend('b', {
        resources: [
          { uri: 'file:///shared', name: 'shared-b' },
          { uri: 'file:///b', name: 'b' },
        ],
        resourceTemplates: [{ uriTemplate: 'repo://{owner}/{name}', name: 'repo' }],
      }),
      backend('a', {
        resources: [{ uri: 'file:///shared', name: 'shared-a' }],
        resourceTemplates: [{ uriTemplate: 'issue://{id}', name: 'issue' }],
      }),
    ],
    aggregation(),
  );

  it('keeps URIs as they are, first backend wins a duplicate URI', () => {
    expect(view.resources.map((r) => `${r.uri}:${r.name}`)).toEqual(['file:///b:b', 'file:///shared:shared-a']);
    expect(view.conflicts).toEqual(['resource file:///shared of backend "b" is hidden: backend "a" lists it too']);
  });

  it('routes reads by exact URI, then by template, and not at all when ambiguous', () => {
    expect(routeResource(view, 'file:///b')).toBe('b');
    expect(routeResource(view, 'repo://acme/widgets')).toBe('b');
    expect(routeResource(view, 'issue://42')).toBe('a');
    expect(routeResource(view, 'issue://{id}')).toBe('a');
    expect(routeResource(view, 'unknown://x')).toBeUndefined();
  });

  it('sends an unlisted URI to the only backend that serves resources', () => {
    const single = aggregate(
      [backend('a', { resources: [{ uri: 'file:///a', name: 'a' }] }), backend('b', { tools: [tool('t')] })],
      aggregation(),
    );
    expect(routeResource(single, 'file:///not-listed')).toBe('a');
  });
});

describe('determinism', () => {
  it('gives the same output whatever order the backends arrive in', () => {
    const names = fc.constantFrom('a', 'b', 'c', 'x');
    const toolNames = fc.uniqueArray(fc.constantFrom('search', 'create', 'delete', 'list'), { maxLength: 4 });
    const input = fc.uniqueArray(fc.record({ name: names, tools: toolNames }), {
      selector: (b) => b.name,
      maxLength: 4,
    });
    const strategies = fc.constantFrom<object>(
      {},
      { conflictResolution: 'priority', conflictResolutionConfig: { priorityOrder: ['c', 'a'] } },
      { conflictResolution: 'manual' },
    );
    fc.assert(
      fc.property(input, strategies, fc.integer(), (backends, strategy, seed) => {
        const inputs = backends.map((b) => backend(b.name, { tools: b.tools.map((t) => tool(t)) }));
        const shuffled = [...inputs].sort((x, y) => (hash(x.name, seed) - hash(y.name, seed)) | 0);
        const cfg = aggregation(strategy);
        const one = aggregate(inputs, cfg);
        const two = aggregate(shuffled, cfg);
        expect(two.tools).toEqual(one.tools);
        expect([...two.toolRoutes]).toEqual([...one.toolRoutes]);
        // Every advertised tool routes to a backend that has the original tool.
        for (const t of one.tools) {
          const route = one.toolRoutes.get(t.name)!;
          expect(inputs.find((b) => b.name === route.backend)?.lists.tools.map((x) => x.name)).toContain(
            route.originalName,
          );
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

function hash(s: string, seed: number): number {
  let h = seed;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 2654435761);
  return h;
}

describe('tool names (MCP 2025-11-25 tools: 1-128 characters of A-Z a-z 0-9 _ - .)', () => {
  const hostile = {
    nul: 'read\u0000file',
    escape: '\u001b[31mred',
    newline: 'two\nlines',
    empty: '',
    huge: 'x'.repeat(10_000),
  };

  it('drops every tool a client could be misled by, saying why without writing the characters', () => {
    const view = aggregate(
      [backend('a', { tools: [tool('fine'), ...Object.values(hostile).map((n) => tool(n))] })],
      aggregation(),
    );
    expect(view.tools.map((t) => t.name)).toEqual(['a_fine']);
    expect([...view.toolRoutes.keys()]).toEqual(['a_fine']);
    expect(view.invalidNames).toEqual([
      {
        backend: 'a',
        tool: '"read\\u0000file"',
        reason: 'the name contains \\u0000: only A-Z a-z 0-9 _ - . are allowed',
      },
      {
        backend: 'a',
        tool: '"\\u001b[31mred"',
        reason: 'the name contains \\u001b, "[": only A-Z a-z 0-9 _ - . are allowed',
      },
      {
        backend: 'a',
        tool: '"two\\u000alines"',
        reason: 'the name contains \\u000a: only A-Z a-z 0-9 _ - . are allowed',
      },
      { backend: 'a', tool: '""', reason: 'the name is empty' },
      {
        backend: 'a',
        tool: `"${'x'.repeat(64)}"... (10000 characters)`,
        reason: 'the name is 10000 characters long (at most 128)',
      },
    ]);
    // Everything the view holds for clients and operators is printable ASCII: no control character got through.
    const texts = [...view.tools.map((t) => t.name), ...view.invalidNames.flatMap((e) => [e.tool, e.reason])];
    expect(texts.filter((t) => !/^[ -~]*$/.test(t))).toEqual([]);
  });

  it('checks the aggregated name too: a valid name that the prefix makes longer than 128 is dropped', () => {
    const longest = 'y'.repeat(126); // "a_" + 126 = 128: still valid
    const tooLong = 'z'.repeat(127); // "a_" + 127 = 129
    const view = aggregate([backend('a', { tools: [tool(longest), tool(tooLong)] })], aggregation());
    expect(view.tools.map((t) => t.name)).toEqual([`a_${longest}`]);
    expect(view.invalidNames).toEqual([
      {
        backend: 'a',
        tool: `"${'z'.repeat(64)}"... (127 characters)`,
        reason: `its aggregated name "a_${'z'.repeat(62)}"... (129 characters) is not valid: the name is 129 characters long (at most 128)`,
      },
    ]);
  });

  it('refuses a prefix format that puts invalid characters into every name', () => {
    const view = aggregate(
      [backend('a', { tools: [tool('x')] })],
      aggregation({ conflictResolutionConfig: { prefixFormat: '{backend}/' } }),
    );
    expect(view.tools).toEqual([]);
    expect(view.invalidNames[0]?.reason).toBe(
      'its aggregated name "a/x" is not valid: the name contains "/": only A-Z a-z 0-9 _ - . are allowed',
    );
  });

  it('offers a tool an override renames to a valid name, and routes it back under the backend name', () => {
    const cfg = aggregation({
      conflictResolution: 'manual',
      tools: [{ backend: 'a', overrides: { 'bad name': { name: 'good_name' } } }],
    });
    const view = aggregate([backend('a', { tools: [tool('bad name')] })], cfg);
    expect(view.tools.map((t) => t.name)).toEqual(['good_name']);
    expect(view.toolRoutes.get('good_name')).toEqual({ backend: 'a', originalName: 'bad name' });
    expect(view.invalidNames).toEqual([]);
  });

  it('says when an override is what makes a name invalid', () => {
    const cfg = aggregation({
      conflictResolution: 'manual',
      tools: [{ backend: 'a', overrides: { ok: { name: 'not ok' } } }],
    });
    const view = aggregate([backend('a', { tools: [tool('ok')] })], cfg);
    expect(view.tools).toEqual([]);
    expect(view.invalidNames).toEqual([
      {
        backend: 'a',
        tool: '"ok"',
        reason: 'the name contains a space: only A-Z a-z 0-9 _ - . are allowed (renamed "not ok" by an override)',
      },
    ]);
  });

  it('leaves prompt names alone: the spec sets no rule for them', () => {
    const view = aggregate([backend('a', { prompts: [{ name: 'any name, really' }] })], aggregation());
    expect(view.prompts.map((p) => p.name)).toEqual(['a_any name, really']);
    expect(view.invalidNames).toEqual([]);
  });
});
