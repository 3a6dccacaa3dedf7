// Loggers whose JSON lines carry every key once. pino appends a child's bindings to its parent's, and a log call's
// fields after both, without merging: a key bound twice (`component: gateway`, then `component: audit`; `backend` by
// the backend set and again by the session) appears twice in one line. JSON.parse keeps the last and hides it; strict
// readers reject the line. A child made here is made from its root with the merged bindings, so each key is bound
// once and a child's value replaces its parent's. Code that logs must not repeat a bound key as a field either.
import { type Bindings, type ChildLoggerOptions, type Logger, type LoggerOptions, pino } from 'pino';
import { activeTraceIds, tracing } from './tracing/tracing.ts';

interface Lineage {
  root: Logger;
  /** The root's own bindings: they cannot be taken back, so a child never binds these keys again. */
  fixed: Bindings;
  /** Every binding added over the root. */
  bindings: Bindings;
}

const lineage = new WeakMap<Logger, Lineage>();

/** A pino root without base fields (no pid, no hostname: one process per pod), with `bindings` bound once. */
export function createLogger(
  options: Omit<LoggerOptions, 'base'>,
  destination: pino.DestinationStream,
  bindings: Bindings,
): Logger {
  return childLogger(pino({ ...traceLogOptions(), ...options, base: null }, destination), bindings);
}

/**
 * pino options that put the active span's `trace_id` and `span_id` on each line written while one is active, so a log
 * line leads to its trace. Empty when tracing is off (no per-line work at all): start tracing before the root logger.
 */
export function traceLogOptions(): Pick<LoggerOptions, 'mixin'> {
  return tracing.on ? { mixin: () => activeTraceIds() ?? {} } : {};
}

/**
 * `parent.child(bindings)`, except that no key ends up bound twice: a key the parent has takes the new value.
 * `redact` replaces the root's redaction paths for this child's lines (the root's `streamWrite` hook still applies).
 */
export function childLogger(
  parent: Logger,
  bindings: Bindings,
  options: Pick<ChildLoggerOptions, 'redact'> = {},
): Logger {
  const known = lineage.get(parent) ?? { root: parent, fixed: parent.bindings(), bindings: {} };
  const merged: Bindings = { ...known.bindings };
  for (const [key, value] of Object.entries(bindings)) if (!(key in known.fixed)) merged[key] = value;
  const child = known.root.child(merged, { level: parent.level, ...options });
  lineage.set(child, { root: known.root, fixed: known.fixed, bindings: merged });
  return child;
}
