// The simulator's JSONL event log: one header line, then one line per event, each with a running hash (`h`) over the
// previous hash and the canonical line. The same seed must give the same file byte for byte; a replay recomputes the
// lines and names the first step where they differ.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values always print the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}

export interface LogEvent {
  /** Virtual time in ms. */
  t: number;
  actor: string;
  event: string;
  state?: unknown;
  detail?: unknown;
}

export class EventLog {
  readonly lines: string[] = [];
  #hash = '';
  #seq = 0;

  constructor(header: Record<string, unknown>) {
    this.#push({ type: 'header', schema: 1, ...header });
  }

  append(event: LogEvent): void {
    this.#seq += 1;
    this.#push({ seq: this.#seq, ...event });
  }

  get size(): number {
    return this.#seq;
  }

  #push(value: Record<string, unknown>): void {
    const body = canonicalJson(value);
    this.#hash = createHash('sha256').update(this.#hash).update(body).digest('hex').slice(0, 16);
    this.lines.push(canonicalJson({ ...value, h: this.#hash }));
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export interface Divergence {
  /** 0 for the header, otherwise the event's seq. */
  seq: number;
  expected: string | undefined;
  actual: string | undefined;
}

/** The first line where two logs differ, or undefined when they are identical. */
export function firstDivergence(expected: string[], actual: string[]): Divergence | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) return { seq: i, expected: expected[i], actual: actual[i] };
  }
  return undefined;
}
