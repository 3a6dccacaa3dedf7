// Every page of one list, whichever era fetches it: follow `nextCursor` until it is absent, refusing a repeated
// cursor or more than MAX_PAGES pages (a server handing out cursors forever). Each page is checked against the
// list's result schema (by hand for the usual shapes, mcp-result-shapes.ts, else the SDK's, loaded then); items pass
// through as the server sent them.
import { isOrdinaryListPage } from '../../api/mcp-result-shapes.ts';
import { protocolError } from './errors.ts';
import type { BackendLists, ListKind } from './protocol.ts';

/** Pages we follow before calling a list endless. */
export const MAX_PAGES = 1000;

export const LISTS = {
  tools: { method: 'tools/list', schema: 'ListToolsResultSchema', field: 'tools' },
  resources: { method: 'resources/list', schema: 'ListResourcesResultSchema', field: 'resources' },
  resourceTemplates: {
    method: 'resources/templates/list',
    schema: 'ListResourceTemplatesResultSchema',
    field: 'resourceTemplates',
  },
  prompts: { method: 'prompts/list', schema: 'ListPromptsResultSchema', field: 'prompts' },
} as const;

/** A page the hand check did not vouch for, judged by the SDK's schema. */
async function wellFormedPage(kind: ListKind, page: Record<string, unknown>): Promise<boolean> {
  if (isOrdinaryListPage(kind, page)) return true;
  const schemas = await import('@modelcontextprotocol/sdk/types.js');
  return schemas[LISTS[kind].schema].safeParse(page).success;
}

export async function collectPages<K extends ListKind>(
  kind: K,
  fetchPage: (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>,
): Promise<BackendLists[K]> {
  const spec = LISTS[kind];
  const items: unknown[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const raw = await fetchPage(spec.method, cursor ? { cursor } : {});
    if (!(await wellFormedPage(kind, raw))) throw protocolError(`${spec.method}: malformed result`);
    items.push(...((raw[spec.field] as unknown[]) ?? []));
    const next = raw.nextCursor;
    if (typeof next !== 'string' || next === '') return items as BackendLists[K];
    if (seen.has(next)) throw protocolError(`${spec.method}: the server repeated a pagination cursor`);
    seen.add(next);
    cursor = next;
  }
  throw protocolError(`${spec.method}: more than ${MAX_PAGES} pages; refusing to follow further`);
}
