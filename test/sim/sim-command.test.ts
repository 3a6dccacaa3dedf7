// `mcpre sim --record FILE` writes the event log as the run makes it (not held whole until the end) and
// `mcpre sim --replay FILE` compares each replayed line as it is made: the recorded file is byte for byte the log of the
// same run kept in memory, its replay is identical, and a changed or cut file is named at the line where it differs.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runSimCommand } from '../../src/sim/sim-command.ts';
import { runSimulation } from '../../src/sim/simulation.ts';

let dir: string;
let printed = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpre-sim-record-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs the command with stdout captured. */
async function command(opts: Parameters<typeof runSimCommand>[0]): Promise<number> {
  printed = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  });
  try {
    return await runSimCommand(opts);
  } finally {
    vi.restoreAllMocks();
  }
}

describe('mcpre sim --record and --replay', () => {
  // As runSimulation takes them below: 60 minutes, 20 endpoints, 4 backends.
  const cli = { seed: '7', duration: '60m', endpoints: '20', backends: '4', faults: 'default' };
  const file = () => join(dir, 'run.jsonl');

  let recording: Promise<number> | undefined;
  /** The recorded run, made once for the tests that read it. */
  const record = () => {
    recording ??= command({ ...cli, record: file() });
    return recording;
  };

  it('records the same bytes as the run kept in memory, and replays them as identical', async () => {
    expect(await record()).toBe(0);
    expect(printed).toContain(`written to ${file()}`);
    expect(existsSync(`${file()}.partial`)).toBe(false);
    const kept = await runSimulation({
      seed: 7,
      durationMs: 60 * 60_000,
      endpoints: 20,
      backends: 4,
      faults: 'default',
    });
    const recorded = readFileSync(file(), 'utf8');
    // More than one write's worth (256 KiB), so the chunked writing is crossed.
    expect(recorded.length).toBeGreaterThan(256 * 1024);
    expect(recorded).toBe(kept.log.toString());
    expect(await command({ ...cli, replay: file() })).toBe(0);
    expect(printed).toBe(`replay of ${file()}: identical (${kept.log.size + 1} lines)\n`);
  });

  it('names the first line that differs, and where a log cut short or too long ends', async () => {
    await record();
    const lines = readFileSync(file(), 'utf8').trimEnd().split('\n');
    const changed = [...lines];
    changed[40] = changed[40]!.replace(/"t":\d+/, '"t":1');
    writeFileSync(join(dir, 'changed.jsonl'), `${changed.join('\n')}\n`);
    expect(await command({ ...cli, replay: join(dir, 'changed.jsonl') })).toBe(1);
    expect(printed).toContain('diverges at seq 40');
    // A recorded log cut short: the replay goes on past its end.
    writeFileSync(join(dir, 'short.jsonl'), `${lines.slice(0, 100).join('\n')}\n`);
    expect(await command({ ...cli, replay: join(dir, 'short.jsonl') })).toBe(1);
    expect(printed).toContain('diverges at seq 100\n');
    expect(printed).toContain('recorded: (end of log)');
    // A recorded log with a line more than the run makes: the replay ends first.
    writeFileSync(join(dir, 'longer.jsonl'), `${[...lines, lines.at(-1)].join('\n')}\n`);
    expect(await command({ ...cli, replay: join(dir, 'longer.jsonl') })).toBe(1);
    expect(printed).toContain(`diverges at seq ${lines.length}\n`);
    expect(printed).toContain('replayed: (end of log)');
  });

  it('leaves an existing record file as it was when the arguments or the run are refused', async () => {
    const kept = join(dir, 'kept.jsonl');
    writeFileSync(kept, 'an earlier log\n');
    await expect(command({ ...cli, seed: 'x', record: kept })).rejects.toThrow('--seed must be an integer');
    await expect(command({ ...cli, faults: 'nope', record: kept })).rejects.toThrow('unknown fault profile "nope"');
    expect(readFileSync(kept, 'utf8')).toBe('an earlier log\n');
    expect(existsSync(`${kept}.partial`)).toBe(false);
  });

  it('keeps no lines when asked not to, and says so instead of printing part of a log', async () => {
    const seen: string[] = [];
    const r = await runSimulation({
      seed: 7,
      durationMs: 5 * 60_000,
      endpoints: 4,
      faults: 'default',
      logOutput: { keep: false, onLine: (l) => seen.push(l) },
    });
    expect(r.log.lines).toEqual([]);
    expect(seen).toHaveLength(r.log.size + 1);
    expect(r.log.header).toBe(seen[0]);
    expect(r.log.last).toBe(seen.at(-1));
    expect(() => r.log.toString()).toThrow('the event log was not kept');
  });
});
