// The official MCP conformance server scenarios (@modelcontextprotocol/conformance, `--suite all`) against the
// gateway in front of one backend that implements the conformance tools. The priority strategy keeps the backend's
// names bare, as the scenarios call them by name.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../../src/gateway/gateway.ts';
import { runToEnd } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';
import { type ConformanceBackend, startConformanceBackend } from './conformance-backend.ts';

const cli = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')),
  'dist/index.js',
);
const expectedFailures = fileURLToPath(new URL('./conformance-expected-failures.yaml', import.meta.url));

describe('MCP conformance server scenarios through the gateway', () => {
  let backend: ConformanceBackend;
  let gateway: RunningGateway;
  let outDir: string;

  beforeAll(async () => {
    backend = await startConformanceBackend();
    gateway = await startGateway({
      config: validateGatewayConfig({
        backends: [{ name: 'conformance', url: backend.url.href }],
        aggregation: { conflictResolution: 'priority', conflictResolutionConfig: { priorityOrder: ['conformance'] } },
      }),
      logger: pino({ level: 'silent' }),
    });
    await until('the gateway to be ready', () => gateway.readiness().ready);
    outDir = await mkdtemp(join(tmpdir(), 'mcpre-conformance-'));
  });

  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('passes every scenario not listed as an expected failure', async () => {
    const run = await runToEnd(
      process.execPath,
      [
        cli,
        'server',
        '--url',
        gateway.url.href,
        '--suite',
        'all',
        '--expected-failures',
        expectedFailures,
        '-o',
        outDir,
      ],
      { timeoutMs: 170_000 },
    );
    const { code } = run;
    const output = `${run.stdout}${run.stderr}`;
    const summary = output.slice(output.indexOf('=== SUMMARY ==='));
    expect(code, summary).toBe(0);
    const total = /Total: (\d+) passed, (\d+) failed/.exec(output);
    expect(total, summary).not.toBeNull();
    expect(Number(total![1])).toBeGreaterThanOrEqual(30);
    process.stdout.write(`conformance through the gateway: ${total![0]}\n`);
  }, 180_000);
});
