// `mcpre migrate` without the I/O: multi-document YAML text in, YAML text and report entries out. MCPRemoteProxy and
// MCPServerEntry documents (and such items of a `kind: List`, which is what `kubectl get -o yaml` prints for several
// objects) become MCPRemoteEndpoints; every other document passes through unchanged. It is all or nothing: one
// unparseable or unconvertible document fails the whole run, so a pipe into `kubectl apply` never applies half.
import { Document, parseAllDocuments } from 'yaml';
import { isPlainObject } from '../plain-object.ts';
import type { Conversion, ConvertOptions } from './common-fields.ts';
import { type InputIndex, indexObjects } from './input-index.ts';
import { convertMCPRemoteProxy } from './mcp-remote-proxy.ts';
import { convertMCPServerEntry } from './mcp-server-entry.ts';
import { formatSource, Report, type ReportEntry, type SourceId } from './report.ts';

export const SOURCE_GROUP = 'toolhive.stacklok.dev';

export type MigrateResult =
  | { ok: true; output: string; entries: ReportEntry[]; converted: number; passedThrough: number }
  | { ok: false; error: string };

type Converter = (
  doc: Record<string, unknown>,
  report: Report,
  options: ConvertOptions & { index: InputIndex },
) => Conversion;

const CONVERTERS: Record<string, Converter> = {
  MCPRemoteProxy: convertMCPRemoteProxy,
  MCPServerEntry: convertMCPServerEntry,
};

const STRINGIFY = { lineWidth: 0, minContentWidth: 0 } as const;

export function migrateManifests(text: string, options: ConvertOptions = {}): MigrateResult {
  const documents = parseAllDocuments(text);
  const parsed: { doc: Document.Parsed; value: unknown; index: number }[] = [];
  for (const [i, doc] of documents.entries()) {
    const index = i + 1;
    const error = doc.errors[0];
    if (error) return { ok: false, error: `document ${index}: invalid YAML: ${firstLine(error.message)}` };
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      return {
        ok: false,
        error: `document ${index}: invalid YAML: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    // An empty document (two `---` in a row, a trailing `---`) is not an object to migrate or to pass on.
    if (value === null || value === undefined) continue;
    parsed.push({ doc, value, index });
  }

  const index = indexObjects(parsed.flatMap(({ value }) => (isList(value) ? value.items : [value])));
  const entries: ReportEntry[] = [];
  const parts: string[] = [];
  let converted = 0;
  let passedThrough = 0;
  for (const { doc, value, index: documentIndex } of parsed) {
    if (isList(value)) {
      const items: unknown[] = [];
      let changed = false;
      for (const [i, item] of value.items.entries()) {
        const result = convertOne(
          item,
          { ...options, index },
          documentIndex,
          `document ${documentIndex} item ${i + 1}`,
        );
        if ('error' in result) return { ok: false, error: result.error };
        entries.push(...result.entries);
        items.push(result.object ?? item);
        if (result.object) {
          converted += 1;
          changed = true;
        } else passedThrough += 1;
      }
      parts.push(changed ? new Document({ ...value, items }).toString(STRINGIFY) : passThroughText(doc));
      continue;
    }
    const result = convertOne(value, { ...options, index }, documentIndex, `document ${documentIndex}`);
    if ('error' in result) return { ok: false, error: result.error };
    entries.push(...result.entries);
    if (result.object) {
      converted += 1;
      parts.push(new Document(result.object).toString(STRINGIFY));
    } else {
      passedThrough += 1;
      parts.push(passThroughText(doc));
    }
  }
  return { ok: true, output: parts.join('---\n'), entries, converted, passedThrough };
}

type OneResult = { object?: Record<string, unknown>; entries: ReportEntry[] } | { error: string };

function convertOne(
  value: unknown,
  options: ConvertOptions & { index: InputIndex },
  documentIndex: number,
  where: string,
): OneResult {
  const source = sourceOf(value);
  const converter = isPlainObject(value) && isSourceGroup(value.apiVersion) ? CONVERTERS[source.kind] : undefined;
  if (!converter || !isPlainObject(value)) {
    return { entries: [{ type: 'passthrough', source, documentIndex }] };
  }
  const report = new Report(source);
  const conversion = converter(value, report, options);
  if (!conversion.ok) return { error: `${where} (${formatSource(source)}): cannot convert: ${conversion.error}` };
  return { object: conversion.object, entries: report.entries };
}

function sourceOf(value: unknown): SourceId {
  if (!isPlainObject(value)) return { kind: '', namespace: '', name: '' };
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  return {
    kind: typeof value.kind === 'string' ? value.kind : '',
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
    name: typeof metadata.name === 'string' ? metadata.name : '',
  };
}

function isSourceGroup(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && apiVersion.startsWith(`${SOURCE_GROUP}/`);
}

function isList(value: unknown): value is Record<string, unknown> & { items: unknown[] } {
  return isPlainObject(value) && value.kind === 'List' && Array.isArray(value.items);
}

/** The document as it was written (comments included), without its `---` marker, which the joiner adds back. */
function passThroughText(doc: Document.Parsed): string {
  doc.directives.docStart = null;
  const text = doc.toString(STRINGIFY);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The yaml library's message without its code frame (which follows a trailing colon on the first line). */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}
