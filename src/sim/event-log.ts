// The simulator's JSONL event log: one header line, then one line per event, each with a running hash (`h`) over the
// previous hash and the canonical line. The same seed must give the same file byte for byte; a replay recomputes the
// lines and names the first step where they differ. A long run need not hold its lines: a day at 200 endpoints and 50
// backends is some 315,000 of them (about 45 MiB of text, several times that as strings in the heap), so a reader can
// take each line as it is made and the log keep only the first and last.
import { hash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values always print the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v as object);
      // Most objects logged (state values, details) already have their keys in order: no copy for those.
      if (inOrder(keys)) return v;
      return Object.fromEntries(keys.sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

function inOrder(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

export interface LogEvent {
  /** Virtual time in ms. */
  t: number;
  actor: string;
  event: string;
  state?: unknown;
  detail?: unknown;
}

/** What becomes of each line: kept in `lines` (the default), and/or handed to `onLine` as it is made. */
export interface EventLogOutput {
  keep?: boolean;
  onLine?: (line: string) => void;
}

export class EventLog {
  /** Every line, when kept; empty otherwise. */
  readonly lines: string[] = [];
  #hash = '';
  #seq = 0;
  readonly #keep: boolean;
  readonly #onLine: ((line: string) => void) | undefined;
  #header = '';
  #last = '';

  constructor(header: Record<string, unknown>, output: EventLogOutput = {}) {
    this.#keep = output.keep ?? true;
    this.#onLine = output.onLine;
    this.#push({ type: 'header', schema: 1, ...header });
  }

  /** The header line (the options a replay re-runs). */
  get header(): string {
    return this.#header;
  }

  /** The latest line: its `h` is the running hash of the whole log. */
  get last(): string {
    return this.#last;
  }

  append(event: LogEvent): void {
    this.#seq += 1;
    this.#push({ seq: this.#seq, ...event });
  }

  get size(): number {
    return this.#seq;
  }

  // The line is the canonical JSON of the event with `h` among its keys; each member is serialized once and the
  // body that is hashed is the same members without `h`.
  #push(value: Record<string, unknown>): void {
    const members: [string, string][] = [];
    for (const k of Object.keys(value).sort()) {
      const v = canonicalJson(value[k]);
      if (v !== undefined) members.push([k, `${JSON.stringify(k)}:${v}`]);
    }
    const body = `{${members.map((m) => m[1]).join(',')}}`;
    this.#hash = hash('sha256', this.#hash + body, 'hex').slice(0, 16);
    const h = `"h":${JSON.stringify(this.#hash)}`;
    const at = members.findIndex(([k]) => k > 'h');
    const parts = members.map((m) => m[1]);
    parts.splice(at === -1 ? parts.length : at, 0, h);
    const line = `{${parts.join(',')}}`;
    if (this.#seq === 0) this.#header = line;
    this.#last = line;
    if (this.#keep) this.lines.push(line);
    this.#onLine?.(line);
  }

  toString(): string {
    if (!this.#keep) throw new Error('the event log was not kept (keep: false): take its lines with onLine');
    return `${this.lines.join('\n')}\n`;
  }
}

export interface Divergence {
  /** 0 for the header, otherwise the event's seq. */
  seq: number;
  expected: string | undefined;
  actual: string | undefined;
}
