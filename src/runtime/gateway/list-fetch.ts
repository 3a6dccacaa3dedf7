// Fetching a backend's lists, following cursors, for the capabilities it advertised.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { BackendLists } from './backend.ts';

export type ListKind = keyof BackendLists;

/** A backend that pages forever (or loops its cursor) must not hang the gateway. */
const maxPages = 100;

async function collect<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string }>) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const result = await page(cursor);
    items.push(...result.items);
    if (!result.nextCursor || result.nextCursor === cursor) return items;
    cursor = result.nextCursor;
  }
  throw new Error(`list did not end after ${maxPages} pages`);
}

export const listFetchers = {
  tools: {
    capability: 'tools',
    fetch: (c: Client) =>
      collect(async (cursor) => {
        const r = await c.listTools(cursor ? { cursor } : undefined);
        return { items: r.tools, nextCursor: r.nextCursor };
      }),
  },
  resources: {
    capability: 'resources',
    fetch: (c: Client) =>
      collect(async (cursor) => {
        const r = await c.listResources(cursor ? { cursor } : undefined);
        return { items: r.resources, nextCursor: r.nextCursor };
      }),
  },
  resourceTemplates: {
    capability: 'resources',
    fetch: (c: Client) =>
      collect(async (cursor) => {
        const r = await c.listResourceTemplates(cursor ? { cursor } : undefined);
        return { items: r.resourceTemplates, nextCursor: r.nextCursor };
      }),
  },
  prompts: {
    capability: 'prompts',
    fetch: (c: Client) =>
      collect(async (cursor) => {
        const r = await c.listPrompts(cursor ? { cursor } : undefined);
        return { items: r.prompts, nextCursor: r.nextCursor };
      }),
  },
} as const satisfies Record<
  ListKind,
  { capability: keyof ServerCapabilities; fetch: (c: Client) => Promise<unknown[]> }
>;

/** Every list the backend advertised; a capability it did not advertise gives an empty list, not a request. */
export async function fetchLists(client: Client, caps: ServerCapabilities | undefined): Promise<BackendLists> {
  const get = async <K extends ListKind>(kind: K) =>
    caps?.[listFetchers[kind].capability] ? ((await listFetchers[kind].fetch(client)) as BackendLists[K]) : [];
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    get('tools'),
    get('resources'),
    get('resourceTemplates'),
    get('prompts'),
  ]);
  return { tools, resources, resourceTemplates, prompts };
}
