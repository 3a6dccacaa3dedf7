// `mcpre sim --replay FILE`: re-runs the simulation its header describes and names the first line that differs.
import { readFile } from 'node:fs/promises';
import type { Divergence } from './event-log.ts';
import { runSimulation, type SimOptions } from './simulation.ts';

export interface ReplayResult {
  identical: boolean;
  lines: number;
  /** 0 is the header; otherwise the event's seq. */
  divergesAt?: number;
  expected?: string;
  actual?: string;
}

export function optionsFromHeader(headerLine: string): SimOptions {
  const h = JSON.parse(headerLine) as Record<string, unknown>;
  if (h.type !== 'header') throw new Error('not an mcpre sim log: the first line is not a header');
  return {
    seed: Number(h.seed),
    durationMs: Number(h.durationMs),
    endpoints: Number(h.endpoints),
    backends: Number(h.backends ?? 0),
    // A header without a share describes a run in which every backend spoke 2025.
    modernShare: h.modernShare === undefined ? 0 : Number(h.modernShare),
    faults: String(h.faults),
    quietMs: Number(h.quietMs),
    injectBug: h.injectBug === 'status' || h.injectBug === 'session' ? h.injectBug : false,
  };
}

export async function replayLog(file: string): Promise<ReplayResult> {
  const recorded = (await readFile(file, 'utf8')).trimEnd().split('\n');
  const first = recorded[0];
  if (!first) throw new Error(`${file} is empty`);
  // Each replayed line is compared as it is made: only the recorded file is held, not a second copy of it.
  let made = 0;
  let diverged: Divergence | undefined;
  const onLine = (line: string) => {
    if (!diverged && line !== recorded[made]) diverged = { seq: made, expected: recorded[made], actual: line };
    made += 1;
  };
  await runSimulation({ ...optionsFromHeader(first), logOutput: { keep: false, onLine } });
  // A replay that ended early diverges where its lines ran out.
  const d =
    diverged ?? (made < recorded.length ? { seq: made, expected: recorded[made], actual: undefined } : undefined);
  if (!d) return { identical: true, lines: recorded.length };
  return { identical: false, lines: recorded.length, divergesAt: d.seq, expected: d.expected, actual: d.actual };
}
