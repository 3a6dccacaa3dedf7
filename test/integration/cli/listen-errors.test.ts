// Every listener fails loudly: a command whose port is taken prints one line naming the port and what to do, and
// exits non-zero within seconds (not a bare EADDRINUSE while it keeps running, nor a hang while stopping). SIGINT and
// SIGTERM end a running command with 0, its backend sessions closed. Real processes and sockets on 127.0.0.1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBackend, startDemoBackend } from '../../../src/gateway/demo-backend.ts';
import { type CliProcess, startCli } from '../../support/cli-process.ts';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../../support/control-plane.ts';
import { eventually } from '../../support/eventually.ts';

const FAIL_WITHIN_MS = 5000;
const env = { ...process.env, KUBERNETES_SERVICE_HOST: undefined, KUBECONFIG: undefined };
const processes: CliProcess[] = [];
const mcpre = (...args: string[]) => {
  const p = startCli(process.execPath, ['src/cli.ts', ...args], { cwd: REPO_ROOT, env });
  processes.push(p);
  return p;
};

const configDir = mkdtempSync(join(tmpdir(), 'mcpre-listen-'));
let busy: Server;
let busyPort: number;
let backend: DemoBackend;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as AddressInfo).port;
  backend = await startDemoBackend({ label: 'listen-test' });
});
afterEach(() => {
  for (const p of processes.splice(0)) p.kill();
});
afterAll(async () => {
  await new Promise<void>((resolve) => busy?.close(() => resolve()));
  await backend?.close();
  rmSync(configDir, { recursive: true, force: true });
});

/** Exactly one stderr line names the port (no stack trace, no repeats); returns it. */
function portLine(stderr: string, port: number): string {
  const lines = stderr.split('\n').filter((l) => l.includes(String(port)));
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

function gatewayConfig(): string {
  const file = join(configDir, 'gateway.yaml');
  writeFileSync(file, `name: listen-test\nbackends:\n  - name: demo\n    url: ${backend.url.href}\n    type: direct\n`);
  return file;
}

describe('a busy port', () => {
  it('a second mcpre up exits non-zero within 5 s, naming the port; the first keeps serving and stops with 0', async () => {
    const first = mcpre('up', '--port', '0');
    const [, url, port] = await first.waitFor(/serving MCP at (http:\/\/127\.0\.0\.1:(\d+)\/mcp)/, 60_000);
    const t0 = Date.now();
    const second = mcpre('up', '--port', port!);
    expect(await second.exit(FAIL_WITHIN_MS + 5000)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(FAIL_WITHIN_MS);
    expect(portLine(second.stderr(), Number(port))).toBe(
      `mcpre: port ${port} on 127.0.0.1 is in use (another mcpre up?); stop it or pass --port N (0 picks a free port)`,
    );
    expect((await fetch(new URL('/healthz', url))).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exit(10_000)).toBe(0);
  });

  it('mcpre gateway with a backend exits non-zero within 5 s, naming the port, and leaves no backend session open', async () => {
    const t0 = Date.now();
    const gateway = mcpre('gateway', '--config', gatewayConfig(), '--port', String(busyPort), '--log-level', 'error');
    expect(await gateway.exit(FAIL_WITHIN_MS + 5000)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(FAIL_WITHIN_MS);
    expect(portLine(gateway.stderr(), busyPort)).toBe(
      `mcpre: port ${busyPort} on 127.0.0.1 is in use (another mcpre gateway or mcpre up?); stop it or pass --port N (0 picks a free port)`,
    );
    expect(backend.sessionCount()).toBe(0);
  });
});

describe('signals', () => {
  it('SIGINT stops mcpre gateway with 0 and closes its backend session', async () => {
    const gateway = mcpre('gateway', '--config', gatewayConfig(), '--port', '0', '--log-level', 'error');
    const [, url] = await gateway.waitFor(/serving MCP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 60_000);
    await eventually('the backend session is open', async () =>
      (await fetch(new URL('/readyz', url))).status === 200 && backend.sessionCount() === 1 ? true : undefined,
    );
    gateway.child.kill('SIGINT');
    expect(await gateway.exit(10_000)).toBe(0);
    expect(backend.sessionCount()).toBe(0);
  });
});

describe('mcpre operator --metrics-port', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(async () => cp?.stop());

  it('on a busy port exits non-zero within 5 s, naming the port', async () => {
    const t0 = Date.now();
    const operator = mcpre('operator', '--kubeconfig', cp.kubeconfigPath, '--metrics-port', String(busyPort));
    expect(await operator.exit(FAIL_WITHIN_MS + 5000)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(FAIL_WITHIN_MS);
    expect(portLine(operator.stderr(), busyPort)).toBe(
      `mcpre: port ${busyPort} on 127.0.0.1 is in use (another mcpre operator?); stop it or pass --metrics-port N (0 picks a free port)`,
    );
  });
});
