// The official MCP conformance client scenarios (@modelcontextprotocol/conformance, both installed releases) against
// `mcpre probe`: the conformance runner starts its scenario server and runs our command with the server URL appended.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ConformancePackage,
  conformanceNext,
  conformanceStable,
  runSuite,
} from '../../support/conformance-suite.ts';

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

async function runScenario(
  pkg: ConformancePackage,
  scenario: string,
  probeArgs: string,
): Promise<{ code: number | null; out: string; checks: Check[] }> {
  const outputDir = await mkdtemp(join(tmpdir(), `mcpre-conformance-${scenario}-`));
  try {
    const command = `npx node src/cli.ts probe ${probeArgs}`.trim();
    const { code, output: out } = await runSuite(
      pkg,
      ['client', '--command', command, '--scenario', scenario, '-o', outputDir],
      90_000,
    );
    const checks: Check[] = [];
    for (const dir of await readdir(outputDir, { recursive: true })) {
      if (dir.endsWith('checks.json')) {
        checks.push(...(JSON.parse(await readFile(join(outputDir, dir), 'utf8')) as Check[]));
      }
    }
    return { code, out, checks };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

describe('MCP conformance client scenarios against mcpre probe', () => {
  const scenarios: [string, string, string[]][] = [
    ['initialize', '', ['mcp-client-initialization']],
    ['tools_call', `--call add_numbers --args '{"a":5,"b":3}'`, ['tool-add-numbers']],
    [
      'sse-retry',
      '--call test_reconnection',
      ['client-sse-graceful-reconnect', 'client-sse-retry-timing', 'client-sse-last-event-id'],
    ],
  ];
  const cases = [conformanceStable, conformanceNext].flatMap((pkg) =>
    scenarios.map(([scenario, args, required]) => [pkg.label, scenario, pkg, args, required] as const),
  );
  it.each(cases)('%s %s passes', async (_label, scenario, pkg, args, required) => {
    const { code, out, checks } = await runScenario(pkg, scenario, args);
    expect(out).toContain('OVERALL: PASSED');
    expect(code, out).toBe(0);
    const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    expect(bad, out).toEqual([]);
    for (const id of required) {
      expect(checks.find((c) => c.id === id)?.status, `${id}\n${out}`).toBe('SUCCESS');
    }
  });
});
