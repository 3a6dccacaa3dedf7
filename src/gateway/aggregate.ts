// Aggregation as a pure function: the lists of the ready backends plus the aggregation config give the lists the
// gateway advertises and the routes back to each backend's own names. No I/O and no clock, so every strategy is tested
// on plain data, and the same inputs always give the same output in the same order.
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AggregationConfig, BackendToolConfig } from '../api/gateway/config.ts';
import type { BackendLists } from './backend.ts';
import { printableName, toolNameProblem } from './tool-names.ts';

export interface AggregateInput {
  name: string;
  lists: BackendLists;
}

export interface Route {
  backend: string;
  /** The name the backend itself uses. */
  originalName: string;
}

export interface TemplateRoute {
  backend: string;
  uriTemplate: string;
  matcher: UriTemplate;
}

export interface AggregatedView {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
  toolRoutes: ReadonlyMap<string, Route>;
  promptRoutes: ReadonlyMap<string, Route>;
  /** Resource URI to the backend that lists it. URIs are not renamed: they are the backend's identifiers. */
  resourceRoutes: ReadonlyMap<string, string>;
  /** In backend order: the first template that matches a URI owns it. */
  templateRoutes: readonly TemplateRoute[];
  /** Backends that advertise at least one resource or template, in backend order. */
  resourceBackends: readonly string[];
  /** Human-readable notes about names that were dropped; logged, and shown on /readyz. */
  conflicts: string[];
  /** Tools dropped because their name, or their name as aggregated, is not a valid MCP tool name. */
  invalidNames: InvalidName[];
}

/** A backend tool no client sees because of its name; logged when the set changes, and shown on /readyz. */
export interface InvalidName {
  backend: string;
  /** The backend's name for the tool, quoted and printable (see printableName): never the raw characters. */
  tool: string;
  reason: string;
}

interface Candidate<T> {
  backend: string;
  originalName: string;
  /** Name after per-backend overrides, before conflict resolution. */
  name: string;
  item: T;
}

export function emptyView(): AggregatedView {
  return aggregate([], {
    conflictResolution: 'prefix',
    conflictResolutionConfig: { prefixFormat: '{backend}_', priorityOrder: [] },
    tools: [],
  });
}

export function aggregate(backends: readonly AggregateInput[], config: AggregationConfig): AggregatedView {
  const ordered = backendOrder(backends, config);
  const conflicts: string[] = [];
  const toolConfigs = new Map(config.tools.map((t) => [t.backend, t]));

  const invalidNames: InvalidName[] = [];
  const toolCandidates = ordered
    .flatMap((b) => toolsOf(b, toolConfigs.get(b.name)))
    .filter((c) => validToolName(c, c.name, invalidNames));
  const tools = resolveNames(toolCandidates, config, 'tool', conflicts, (c, exposed) =>
    validToolName(c, exposed, invalidNames),
  );
  const promptCandidates = ordered.flatMap((b) =>
    b.lists.prompts.map((p) => ({ backend: b.name, originalName: p.name, name: p.name, item: p })),
  );
  const prompts = resolveNames(promptCandidates, config, 'prompt', conflicts);

  const resourceRoutes = new Map<string, string>();
  const resources: Resource[] = [];
  const templateRoutes: TemplateRoute[] = [];
  const resourceTemplates: ResourceTemplate[] = [];
  const resourceBackends: string[] = [];
  for (const b of ordered) {
    if (b.lists.resources.length > 0 || b.lists.resourceTemplates.length > 0) resourceBackends.push(b.name);
    for (const r of b.lists.resources) {
      const owner = resourceRoutes.get(r.uri);
      if (owner !== undefined) {
        if (owner !== b.name)
          conflicts.push(`resource ${r.uri} of backend "${b.name}" is hidden: backend "${owner}" lists it too`);
        continue;
      }
      resourceRoutes.set(r.uri, b.name);
      resources.push(r);
    }
    for (const t of b.lists.resourceTemplates) {
      const owner = templateRoutes.find((x) => x.uriTemplate === t.uriTemplate);
      if (owner) {
        if (owner.backend !== b.name)
          conflicts.push(
            `resource template ${t.uriTemplate} of backend "${b.name}" is hidden: backend "${owner.backend}" lists it too`,
          );
        continue;
      }
      let matcher: UriTemplate;
      try {
        matcher = new UriTemplate(t.uriTemplate);
      } catch {
        conflicts.push(
          `resource template ${JSON.stringify(t.uriTemplate)} of backend "${b.name}" is not a valid URI template: hidden`,
        );
        continue;
      }
      templateRoutes.push({ backend: b.name, uriTemplate: t.uriTemplate, matcher });
      resourceTemplates.push(t);
    }
  }
  resources.sort((a, b) => compare(a.uri, b.uri));
  resourceTemplates.sort((a, b) => compare(a.uriTemplate, b.uriTemplate));

  return {
    tools: tools.items,
    prompts: prompts.items,
    toolRoutes: tools.routes,
    promptRoutes: prompts.routes,
    resources,
    resourceTemplates,
    resourceRoutes,
    templateRoutes,
    resourceBackends,
    conflicts,
    invalidNames,
  };
}

/**
 * Whether a tool's name (`name`: the backend's, as overridden, or the aggregated one) is a valid MCP tool name. A
 * backend may send anything as a name (NUL, terminal escape codes, newlines, nothing, 10,000 characters); such a tool
 * is not offered to clients, and the reason is recorded instead.
 */
function validToolName(c: Candidate<Tool>, name: string, invalid: InvalidName[]): boolean {
  const problem = toolNameProblem(name);
  if (problem === undefined) return true;
  const renamed = c.name !== c.originalName ? ` (renamed ${printableName(c.name)} by an override)` : '';
  const reason =
    name === c.name
      ? `${problem}${renamed}`
      : `its aggregated name ${printableName(name)} is not valid: ${problem}${renamed}`;
  const entry = { backend: c.backend, tool: printableName(c.originalName), reason };
  if (!invalid.some((e) => e.backend === entry.backend && e.tool === entry.tool && e.reason === entry.reason)) {
    invalid.push(entry);
  }
  return false;
}

/** The backend that should serve `resources/read` for a URI, or undefined when none can. */
export function routeResource(view: AggregatedView, uri: string): string | undefined {
  const exact = view.resourceRoutes.get(uri);
  if (exact !== undefined) return exact;
  for (const t of view.templateRoutes) if (t.uriTemplate === uri || t.matcher.match(uri)) return t.backend;
  // Resources a backend serves without listing them: unambiguous only when one backend serves resources at all.
  return view.resourceBackends.length === 1 ? view.resourceBackends[0] : undefined;
}

/** Priority order first (highest first), then every other backend by name: the order that decides every tie. */
function backendOrder(backends: readonly AggregateInput[], config: AggregationConfig): AggregateInput[] {
  const byName = [...backends].sort((a, b) => compare(a.name, b.name));
  if (config.conflictResolution !== 'priority') return byName;
  const rank = new Map(config.conflictResolutionConfig.priorityOrder.map((n, i) => [n, i]));
  return byName.sort(
    (a, b) => (rank.get(a.name) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.name) ?? Number.MAX_SAFE_INTEGER),
  );
}

function toolsOf(backend: AggregateInput, cfg: BackendToolConfig | undefined): Candidate<Tool>[] {
  if (cfg?.excludeAll) return [];
  const allow = cfg?.filter && cfg.filter.length > 0 ? new Set(cfg.filter) : undefined;
  return backend.lists.tools
    .filter((t) => !allow || allow.has(t.name))
    .map((t) => {
      const override = cfg?.overrides?.[t.name];
      let item: Tool = t;
      if (override) {
        item = { ...t };
        if (override.description !== undefined) item.description = override.description;
        if (override.annotations) item.annotations = { ...t.annotations, ...definedOnly(override.annotations) };
      }
      return { backend: backend.name, originalName: t.name, name: override?.name ?? t.name, item };
    });
}

function resolveNames<T extends { name: string }>(
  candidates: Candidate<T>[],
  config: AggregationConfig,
  what: 'tool' | 'prompt',
  conflicts: string[],
  /** Whether the name a candidate would be exposed under may be offered at all (tools: the MCP name rule). */
  acceptable: (c: Candidate<T>, exposed: string) => boolean = () => true,
): { items: T[]; routes: Map<string, Route> } {
  const prefixed = (c: Candidate<T>) => prefixFor(c.backend, config.conflictResolutionConfig.prefixFormat) + c.name;
  const byName = new Map<string, Candidate<T>[]>();
  for (const c of candidates) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);

  const named: Array<{ exposed: string; c: Candidate<T> }> = [];
  for (const [name, group] of byName) {
    if (config.conflictResolution === 'prefix') {
      for (const c of group) named.push({ exposed: prefixed(c), c });
    } else if (group.length === 1) {
      named.push({ exposed: name, c: group[0]! });
    } else if (config.conflictResolution === 'priority') {
      const listed = new Set(config.conflictResolutionConfig.priorityOrder);
      // Candidates arrive in backend order, so the first listed one has the highest priority.
      const winner = group.find((c) => listed.has(c.backend));
      for (const c of group) {
        if (c === winner) named.push({ exposed: name, c });
        else if (!listed.has(c.backend)) named.push({ exposed: prefixed(c), c });
        else
          conflicts.push(
            `${what} "${name}" of backend "${c.backend}" is hidden: backend "${winner!.backend}" has priority`,
          );
      }
    } else {
      named.push({ exposed: name, c: group[0]! });
      for (const c of group.slice(1)) {
        conflicts.push(
          `${what} "${name}" of backend "${c.backend}" is hidden: backend "${group[0]!.backend}" has the same name; add an override to rename one`,
        );
      }
    }
  }

  // Prefixing or overrides can still collide (backend "a" tool "b_x" vs backend "a_b" tool "x"): first in order wins.
  const routes = new Map<string, Route>();
  const items: T[] = [];
  named.sort((x, y) => compare(x.exposed, y.exposed));
  for (const { exposed, c } of named) {
    if (!acceptable(c, exposed)) continue;
    const taken = routes.get(exposed);
    if (taken) {
      conflicts.push(
        `${what} "${exposed}" of backend "${c.backend}" is hidden: the name is already used by backend "${taken.backend}"`,
      );
      continue;
    }
    routes.set(exposed, { backend: c.backend, originalName: c.originalName });
    items.push(exposed === c.item.name ? c.item : { ...c.item, name: exposed });
  }
  return { items, routes };
}

export function prefixFor(backend: string, format: string): string {
  return format.replaceAll('{backend}', backend).replaceAll('{workload}', backend);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Code-unit order, independent of the locale the process runs in. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
