// The one aggregated server both protocol eras serve: its identity, capabilities, instructions and the lists a
// caller may see. The 2025-era session handler (sessions/dispatch.ts) and the 2026-07-28 stateless endpoint
// (modern/endpoint.ts) answer from this and route calls through the same Router, so the two eras cannot drift.
import type { Implementation, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Aggregator } from './aggregator.ts';
import type { Extra, Router } from './router.ts';

export const GATEWAY_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  resources: { listChanged: true, subscribe: true },
  prompts: { listChanged: true },
  completions: {},
  logging: {},
};

export const GATEWAY_INSTRUCTIONS =
  'mcpre gateway: the tools, resources and prompts of several MCP servers behind one endpoint.';

export type ListMethod = 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list';

export class ServerDefinition {
  readonly info: Implementation;
  readonly capabilities = GATEWAY_CAPABILITIES;
  readonly instructions = GATEWAY_INSTRUCTIONS;
  readonly #aggregator: Aggregator;
  readonly #router: Router;

  constructor(deps: { aggregator: Aggregator; router: Router; name: string; version: string }) {
    this.info = { name: deps.name, version: deps.version };
    this.#aggregator = deps.aggregator;
    this.#router = deps.router;
  }

  get router(): Router {
    return this.#router;
  }

  /** Whether what a list shows depends on who asks (an authorization policy filters it). */
  get listsVaryByCaller(): boolean {
    return this.#router.filtersByCaller;
  }

  /** One list as the caller may see it (everything, without an authorization policy). */
  list(method: ListMethod, extra: Extra): Record<string, unknown> {
    this.#aggregator.flush();
    const view = this.#aggregator.view;
    const router = this.#router;
    switch (method) {
      case 'tools/list':
        return { tools: view.tools.filter((t) => router.visible(extra, 'call_tool', t.name)) };
      case 'prompts/list':
        return { prompts: view.prompts.filter((p) => router.visible(extra, 'get_prompt', p.name)) };
      case 'resources/list':
        return { resources: view.resources.filter((r) => router.visible(extra, 'read_resource', r.uri)) };
      case 'resources/templates/list':
        return {
          resourceTemplates: view.resourceTemplates.filter((t) =>
            router.visible(extra, 'read_resource', t.uriTemplate),
          ),
        };
    }
  }

  /** The aggregated tool of this name (for the 2026-07-28 `Mcp-Param-*` header check). */
  tool(name: string) {
    this.#aggregator.flush();
    return this.#aggregator.view.tools.find((t) => t.name === name);
  }
}
