// Which lists a backend advertises, which list_changed notifications it may send, and whether a fetched list differs
// from what the owner last saw. Pure functions over plain data.
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { BackendLists, ListChangeKind, ListKind } from './backend-session-protocol.ts';

export const LIST_KINDS: readonly ListKind[] = ['tools', 'resources', 'resourceTemplates', 'prompts'];

export const emptyBackendLists = (): BackendLists => ({ tools: [], resources: [], resourceTemplates: [], prompts: [] });

/** The lists to fetch for these capabilities: only what the server advertised. */
export function advertisedKinds(capabilities: ServerCapabilities | undefined): ListKind[] {
  const kinds: ListKind[] = [];
  if (capabilities?.tools) kinds.push('tools');
  if (capabilities?.resources) kinds.push('resources', 'resourceTemplates');
  if (capabilities?.prompts) kinds.push('prompts');
  return kinds;
}

/** `list_changed` is acted on only for capabilities advertised with `listChanged: true` (RFC, MCP spec). */
export function listChangedAdvertised(capabilities: ServerCapabilities | undefined, kind: ListChangeKind): boolean {
  return capabilities?.[kind]?.listChanged === true;
}

/**
 * The lists whose changes the server announces: what a notification stream that opened without replaying its gap
 * may have missed.
 */
export function announcedKinds(capabilities: ServerCapabilities | undefined): ListKind[] {
  const kinds: ListChangeKind[] = ['tools', 'resources', 'prompts'];
  return kinds.filter((kind) => listChangedAdvertised(capabilities, kind)).flatMap(kindsForChange);
}

/** The lists one `list_changed` notification makes stale. */
export function kindsForChange(kind: ListChangeKind): ListKind[] {
  return kind === 'resources' ? ['resources', 'resourceTemplates'] : [kind];
}

export function listChangeKindOf(method: string): ListChangeKind | undefined {
  switch (method) {
    case 'notifications/tools/list_changed':
      return 'tools';
    case 'notifications/resources/list_changed':
      return 'resources';
    case 'notifications/prompts/list_changed':
      return 'prompts';
    default:
      return undefined;
  }
}

/** The kinds whose content differs (key order inside objects does not count as a change). */
export function changedKinds(before: BackendLists, after: BackendLists): ListKind[] {
  return LIST_KINDS.filter((kind) => canonicalJson(before[kind]) !== canonicalJson(after[kind]));
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
      return sorted;
    }
    return v;
  });
}
