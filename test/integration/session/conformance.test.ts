// The official MCP conformance client scenarios (@modelcontextprotocol/conformance, both installed releases) against
// `mcpre probe`: the conformance runner starts its scenario server and runs our command with the server URL appended.
// Each scenario runs with every installed release that has it; `tools_call` also at 2026-07-28 where the release has
// that revision.
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
  specVersion: string | undefined,
): Promise<{ code: number | null; out: string; checks: Check[] }> {
  const outputDir = await mkdtemp(join(tmpdir(), `mcpre-conformance-${scenario}-`));
  try {
    const command = `npx node src/cli.ts probe ${probeArgs}`.trim();
    const { code, output: out } = await runSuite(
      pkg,
      [
        'client',
        '--command',
        command,
        '--scenario',
        scenario,
        ...(specVersion ? ['--spec-version', specVersion] : []),
        '-o',
        outputDir,
      ],
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
  const both = [conformanceStable, conformanceNext];
  const addNumbers = `--call add_numbers --args '{"a":5,"b":3}'`;
  const scenarios: [ConformancePackage[], string, string | undefined, string, string[]][] = [
    [both, 'initialize', undefined, '', ['mcp-client-initialization']],
    [both, 'tools_call', undefined, addNumbers, ['tool-add-numbers']],
    [[conformanceNext], 'tools_call', '2026-07-28', addNumbers, ['tool-add-numbers']],
    [
      both,
      'sse-retry',
      undefined,
      '--call test_reconnection',
      ['client-sse-graceful-reconnect', 'client-sse-retry-timing', 'client-sse-last-event-id'],
    ],
    [
      [conformanceNext],
      'request-metadata',
      undefined,
      '',
      [
        'sep-2575-http-client-sends-version-header',
        'sep-2575-client-populates-meta',
        'sep-2575-client-sends-client-info',
        'sep-2575-http-version-header-matches-meta',
        'sep-2575-client-retry-supported-version',
      ],
    ],
    [
      both,
      'elicitation-sep1034-client-defaults',
      undefined,
      '--elicit-defaults --call test_client_elicitation_defaults',
      ['string', 'integer', 'number', 'enum', 'boolean'].map((t) => `client-elicitation-sep1034-${t}-default`),
    ],
  ];
  const cases = scenarios.flatMap(([pkgs, scenario, version, args, required]) =>
    pkgs.map(
      (pkg) =>
        [pkg.label, `${scenario}${version ? ` at ${version}` : ''}`, pkg, scenario, version, args, required] as const,
    ),
  );
  it.each(cases)('%s %s passes', async (_label, _name, pkg, scenario, version, args, required) => {
    const { code, out, checks } = await runScenario(pkg, scenario, args, version);
    expect(out).toContain('OVERALL: PASSED');
    expect(code, out).toBe(0);
    const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    expect(bad, out).toEqual([]);
    for (const id of required) {
      expect(checks.find((c) => c.id === id)?.status, `${id}\n${out}`).toBe('SUCCESS');
    }
  });
});
