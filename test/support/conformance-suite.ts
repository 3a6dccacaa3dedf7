// The official MCP conformance suite (@modelcontextprotocol/conformance) run as a child process, and its results checked
// against a baseline of expected failures kept per package. Two releases are installed side by side (`conformance`
// 0.1.16 and `conformance-next`, an npm alias of 0.2.0-alpha.12); both name their bin `conformance`, so they are run
// by path, never through `npx`.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { runToEnd } from './child-process.ts';

const require = createRequire(import.meta.url);

export interface ConformancePackage {
  /** What the reports call it. */
  label: string;
  /** The suite's CLI entry point, run with this process's Node. */
  cli: string;
}

function cliOf(name: string): string {
  return join(dirname(require.resolve(`${name}/package.json`)), 'dist/index.js');
}

export const conformanceStable: ConformancePackage = {
  label: '0.1.16',
  cli: cliOf('@modelcontextprotocol/conformance'),
};
export const conformanceNext: ConformancePackage = { label: '0.2.0-alpha.12', cli: cliOf('conformance-next') };

/** A spec revision the suite can filter on, or `extension` for scenarios that are not on the spec timeline. */
export type Era = '2025-11-25' | '2026-07-28' | 'extension';

export interface ScenarioResult {
  scenario: string;
  /** Ids of the checks that failed or warned (the suite's baseline counts warnings as failures). */
  failing: string[];
  /** Whether at least one check succeeded: a scenario that checked nothing did not pass. */
  anyPassed: boolean;
}

export async function runSuite(
  pkg: ConformancePackage,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const run = await runToEnd(process.execPath, [pkg.cli, ...args], { timeoutMs });
  return { code: run.code, output: `${run.stdout}${run.stderr}` };
}

/** The server (or client) scenarios the package lists for an era, from `conformance list`. */
export async function listScenarios(pkg: ConformancePackage, role: 'server' | 'client', era: Era): Promise<string[]> {
  const { output } = await runSuite(pkg, ['list'], 30_000);
  const heading = role === 'server' ? 'Server scenarios' : 'Client scenarios';
  const section = output.slice(output.indexOf(heading)).split(/\n\s*\n/)[0] ?? '';
  const names: string[] = [];
  for (const m of section.matchAll(/^\s+- (\S+) \[([^\]]*)\]/gm)) {
    const tags = m[2]!.split(',');
    if (tags.includes(era)) names.push(m[1]!);
  }
  return names;
}

/** Every `checks.json` under a run's output directory, keyed by scenario name. */
export async function readResults(outDir: string): Promise<Map<string, ScenarioResult>> {
  const results = new Map<string, ScenarioResult>();
  for (const dir of await readdir(outDir)) {
    const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    const checks = JSON.parse(await readFile(join(outDir, dir, 'checks.json'), 'utf8')) as {
      id: string;
      status: string;
    }[];
    results.set(scenario, {
      scenario,
      failing: checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => c.id),
      anyPassed: checks.some((c) => c.status === 'SUCCESS'),
    });
  }
  return results;
}

/**
 * A baseline file: per era, `<scenario>` or `<scenario>:<check-id>` mapped to the reason it is expected to fail.
 * A scenario that checked nothing is failing with the check id `nothing-checked`.
 */
export type Baseline = Partial<Record<Era, Record<string, string>>>;

export async function readBaseline(path: string): Promise<Baseline> {
  return (parse(await readFile(path, 'utf8')) ?? {}) as Baseline;
}

export interface BaselineVerdict {
  passed: string[];
  expected: string[];
  /** Failures the baseline does not name. */
  unexpected: string[];
  /** Baseline entries that did not fail (now passing, or not run at all). */
  stale: string[];
  /** Entries without a reason. */
  unexplained: string[];
}

/** Checks results against the baseline both ways: every failure is named, and every named failure happened. */
export function judge(
  expectedScenarios: string[],
  results: Map<string, ScenarioResult>,
  entries: Record<string, string>,
): BaselineVerdict {
  const v: BaselineVerdict = { passed: [], expected: [], unexpected: [], stale: [], unexplained: [] };
  const used = new Set<string>();
  for (const scenario of expectedScenarios) {
    const r = results.get(scenario);
    const failing = r ? [...r.failing, ...(r.anyPassed ? [] : ['nothing-checked'])] : ['no-result'];
    if (scenario in entries) {
      used.add(scenario);
      (failing.length > 0 ? v.expected : v.stale).push(scenario);
      continue;
    }
    const unnamed = failing.filter((id) => !(`${scenario}:${id}` in entries));
    v.unexpected.push(...unnamed.map((id) => `${scenario}:${id}`));
    for (const key of Object.keys(entries).filter((k) => k.startsWith(`${scenario}:`))) {
      used.add(key);
      (failing.includes(key.slice(scenario.length + 1)) ? v.expected : v.stale).push(key);
    }
    if (unnamed.length === 0 && !failing.some((id) => `${scenario}:${id}` in entries)) v.passed.push(scenario);
  }
  v.stale.push(...Object.keys(entries).filter((k) => !used.has(k)));
  v.unexplained = Object.entries(entries)
    .filter(([, reason]) => typeof reason !== 'string' || reason.trim() === '')
    .map(([k]) => k);
  return v;
}
