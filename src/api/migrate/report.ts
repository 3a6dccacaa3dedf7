// What `mcpre migrate` tells the user besides the converted YAML. Every source field that did not make it into the
// MCPRemoteEndpoint is one `unmapped` entry (never dropped silently); behaviour changes and placeholders are `note`s;
// documents of other kinds are `passthrough`. Each entry becomes one stderr line.

/** The object a report entry is about, as `<kind>/<namespace>/<name>` ("-" for a missing namespace or name). */
export interface SourceId {
  kind: string;
  namespace: string;
  name: string;
}

export type ReportEntry =
  | { type: 'unmapped'; source: SourceId; path: string; reason: string }
  | { type: 'note'; source: SourceId; message: string }
  | { type: 'passthrough'; source: SourceId; documentIndex: number };

/** Collects entries for one object while it is converted; the converters only ever append. */
export class Report {
  readonly entries: ReportEntry[] = [];
  readonly source: SourceId;

  constructor(source: SourceId) {
    this.source = source;
  }

  /** A source field that has no MCPRemoteEndpoint equivalent; `reason` says why and what to do instead. */
  unmapped(path: string, reason: string): void {
    this.entries.push({ type: 'unmapped', source: this.source, path, reason });
  }

  /** Something the user must know that is not a lost field: a changed default, a placeholder, a rename. */
  note(message: string): void {
    this.entries.push({ type: 'note', source: this.source, message });
  }
}

export function formatSource(source: SourceId): string {
  return `${source.kind || '-'}/${source.namespace || '-'}/${source.name || '-'}`;
}

/** One stderr line per entry, without the trailing newline. The unmapped format is part of the CLI's contract. */
export function formatEntry(entry: ReportEntry): string {
  const who = formatSource(entry.source);
  switch (entry.type) {
    case 'unmapped':
      return `${who}: field ${entry.path} has no MCPRemoteEndpoint equivalent: ${entry.reason}`;
    case 'note':
      return `${who}: note: ${entry.message}`;
    case 'passthrough':
      return `${who}: passed through unchanged (document ${entry.documentIndex}): mcpre migrate converts only MCPRemoteProxy and MCPServerEntry`;
  }
}

/** The last stderr line of a successful run: what happened, in numbers. */
export function formatSummary(counts: {
  converted: number;
  passedThrough: number;
  entries: readonly ReportEntry[];
}): string {
  const unmapped = counts.entries.filter((e) => e.type === 'unmapped').length;
  return `mcpre migrate: converted ${counts.converted}, passed through ${counts.passedThrough}, ${unmapped} field(s) without an MCPRemoteEndpoint equivalent`;
}
