// The official MCP conformance server scenarios against the gateway in front of one backend that implements the
// conformance tools, for both installed releases of the suite (0.1.16 and 0.2.0-alpha.12) and, with the newer one, at
// both wire eras: every scenario applicable to 2025-11-25 (stateful, initialize), every one applicable to 2026-07-28
// (stateless, per-request _meta) and the extension scenarios. The priority strategy keeps the backend's names bare, as
// the scenarios call them by name. Each package has a baseline of expected failures with reasons, checked both ways.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import {
  type ConformancePackage,
  conformanceNext,
  conformanceStable,
  type Era,
  judge,
  listScenarios,
  readBaseline,
  readResults,
  runSuite,
} from '../../support/conformance-suite.ts';
import { until } from '../../support/eventually.ts';
import { type ConformanceBackend, startConformanceBackend } from './conformance-backend.ts';
import { startModernConformanceBackend } from './conformance-backend-modern.ts';

const baselineOf = (name: string) => fileURLToPath(new URL(name, import.meta.url));

const cases: [ConformancePackage, Era, string][] = [
  [conformanceStable, '2025-11-25', 'conformance-baseline-0.1.yaml'],
  [conformanceNext, '2025-11-25', 'conformance-baseline-0.2.yaml'],
  [conformanceNext, '2026-07-28', 'conformance-baseline-0.2.yaml'],
  [conformanceNext, 'extension', 'conformance-baseline-0.2.yaml'],
];

describe('MCP conformance server scenarios through the gateway', () => {
  let backend: ConformanceBackend;
  let modernBackend: ConformanceBackend;
  let gateway: RunningGateway;
  let outRoot: string;

  beforeAll(async () => {
    backend = await startConformanceBackend();
    modernBackend = await startModernConformanceBackend();
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [
          { name: 'conformance', url: backend.url.href },
          { name: 'conformance-2026', url: modernBackend.url.href },
        ],
        // Roots too: the 2026 backend's input-required scenarios ask for them, within the caller's own call.
        clientCapabilities: { sampling: true, elicitation: true, roots: true },
        aggregation: {
          conflictResolution: 'priority',
          conflictResolutionConfig: { priorityOrder: ['conformance', 'conformance-2026'] },
        },
      }),
      logger: pino({ level: 'silent' }),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
    outRoot = await mkdtemp(join(tmpdir(), 'mcpre-conformance-'));
  });

  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
    await modernBackend?.close();
    if (outRoot) await rm(outRoot, { recursive: true, force: true });
  });

  it.each(cases)(
    '%s at %s: every scenario passes or is a named expected failure',
    async (pkg, era, baselineFile) => {
      const scenarios = await listScenarios(pkg, 'server', era);
      expect(scenarios.length, `${pkg.label} lists no ${era} server scenarios`).toBeGreaterThan(
        era === 'extension' ? 5 : 25,
      );
      const outDir = await mkdtemp(join(outRoot, `${pkg.label}-${era}-`));
      const base = ['server', '--url', gateway.url.href, '-o', outDir];
      let output = '';
      if (era === 'extension') {
        // Extension scenarios are not on the spec timeline, so a revision filter leaves them out: one run each.
        for (const scenario of scenarios)
          output += (await runSuite(pkg, [...base, '--scenario', scenario], 60_000)).output;
      } else {
        output = (await runSuite(pkg, [...base, '--suite', 'all', '--spec-version', era], 150_000)).output;
      }
      const baseline = (await readBaseline(baselineOf(baselineFile)))[era] ?? {};
      const verdict = judge(scenarios, await readResults(outDir), baseline);
      const summary = output.slice(output.indexOf('=== SUMMARY ==='));
      expect(verdict.unexpected, `failures not in ${baselineFile}\n${summary}`).toEqual([]);
      expect(verdict.stale, `${baselineFile} entries that did not fail`).toEqual([]);
      expect(verdict.unexplained, `${baselineFile} entries without a reason`).toEqual([]);
      process.stdout.write(
        `conformance ${pkg.label} ${era} through the gateway: ${verdict.passed.length} passed, ` +
          `${verdict.expected.length} expected failures (${verdict.expected.join(', ')}), 0 unexpected\n`,
      );
    },
    180_000,
  );
});
