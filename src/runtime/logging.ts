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

/** Bytes of log lines collected before one write; under load a write carries many lines. */
const BATCH_BYTES = 4096;
/** The longest a line waits for others before it is written anyway. */
const BATCH_MS = 100;

/**
 * stderr written asynchronously and in batches: lines collect up to 4 KiB, or for at most 100 ms, and go out in one
 * write. One write per line (an audit line per call) cost the gateway more CPU per call than any of its own work.
 * What is still collected is written at exit (pino flushes its destination on `exit`); a SIGKILL loses at most the
 * last 100 ms.
 */
export function batchedStderr(): pino.DestinationStream {
  const sonic = pino.destination({ dest: 2, sync: false, minLength: BATCH_BYTES });
  // Bytes handed over and bytes written: what is still waiting in the destination is the difference.
  let handed = 0;
  let written = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    sonic.flush();
  };
  // Armed only while something waits, not a standing interval: a process with nothing to log has no timer waking it.
  const arm = () => {
    if (timer === undefined && written < handed) timer = setTimeout(flush, BATCH_MS).unref();
  };
  sonic.on('write', (n: number) => {
    written += n;
  });
  // A flush that came while a write was running did nothing, and a write that ends with less than a batch left emits
  // `drain` and leaves the rest waiting: arm again for it.
  sonic.on('drain', arm);
  return {
    write(line: string) {
      handed += Buffer.byteLength(line);
      arm();
      return sonic.write(line);
    },
  };
}
