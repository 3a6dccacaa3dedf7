// Every JSON log line of a real gateway run carries each key once. pino writes a child's bindings after its parent's
// without merging, so a key bound twice (component "gateway" then "audit"; backend by the backend set and again by
// the session) appears twice in one line; JSON.parse hides that, so the lines are read with a reader that does not.
// Two real processes, as people run them: `mcpre up` (operator, discovery, gateway, backend sessions, audit) and
// `mcpre gateway --config` in front of the misbehaving fault fixture (backoff, dropped tool names, failed calls).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { duplicateKeys } from '../../support/duplicate-keys.ts';
import { eventually } from '../../support/eventually.ts';

let child: ChildProcess | undefined;
let fixture: FaultServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await fixture?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  child = fixture = dir = undefined;
});

/** Start `mcpre <args>`; resolves with the MCP URL it prints and a function that stops it and returns its log. */
async function run(args: string[]) {
  const proc = spawn(process.execPath, ['src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d) => (stdout += d));
  proc.stderr?.on('data', (d) => (stderr += d));
  const exited = once(proc, 'exit');
  const url = await eventually(
    `the URL on stdout (stderr so far: ${stderr.slice(-500)})`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}: ${stderr}`);
      return /serving MCP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stdout)?.[1];
    },
    { timeoutMs: 20_000 },
  );
  const stop = async () => {
    proc.kill('SIGTERM');
    await exited;
    return stderr.split('\n').filter((l) => l !== '');
  };
  return { url: new URL(url), stop };
}

/** Lines with a key twice, each with the keys it repeats. */
function linesWithDuplicateKeys(lines: string[]) {
  return lines.map((line) => ({ line, duplicates: duplicateKeys(line) })).filter((l) => l.duplicates.length > 0);
}

async function connect(url: URL) {
  const client = new Client({ name: 'log-keys', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

describe('log lines of a real gateway carry every key once', () => {
  it('mcpre up: operator, discovery, gateway, backend sessions and audit lines', async () => {
    const up = await run(['up', '--port', '0', '--log-level', 'debug']);
    const client = await connect(up.url);
    expect((await client.callTool({ name: 'alpha_add', arguments: { a: 1, b: 2 } })).isError).toBeFalsy();
    expect((await client.callTool({ name: 'beta_fail', arguments: {} })).isError).toBe(true);
    await expect(client.getPrompt({ name: 'alpha_summarize', arguments: {} })).rejects.toThrow(/backend "alpha"/);
    await client.close();
    const lines = await up.stop();

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The run wrote the lines this test is about: otherwise it would prove nothing.
    const components = new Set(parsed.map((l) => l.component));
    expect([...components].sort()).toEqual(expect.arrayContaining(['audit', 'discovery', 'gateway', 'operator']));
    expect(parsed.some((l) => l.backend === 'alpha' && l.msg === 'backend session state')).toBe(true);
    expect(linesWithDuplicateKeys(lines)).toEqual([]);
  });

  it('mcpre gateway --config in front of a misbehaving backend: backoff, dropped names, failed calls', async () => {
    fixture = await startFaultServer({ tools: ['echo', 'bad name'] });
    fixture.control.failNext(1, 404, { rpcMethod: 'initialize' });
    dir = await mkdtemp(join(tmpdir(), 'mcpre-log-keys-'));
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, `backends:\n  - name: fx\n    url: ${fixture.url}\n`);
    const gw = await run(['gateway', '--config', config, '--port', '0', '--log-level', 'trace']);
    const readyz = new URL('/readyz', gw.url);
    await eventually('the backend to be ready after its backoff', async () => (await fetch(readyz)).ok || undefined);
    const client = await connect(gw.url);
    fixture.control.failNext(1, 400, { rpcMethod: 'tools/call' });
    await expect(client.callTool({ name: 'fx_echo', arguments: {} })).rejects.toThrow(/backend "fx" failed/);
    await client.close();
    const lines = await gw.stop();

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const messages = new Set(parsed.map((l) => l.msg));
    expect(messages).toContain('backend session not available');
    expect(messages).toContain('backend tools hidden: not valid MCP tool names');
    expect(parsed.some((l) => l.component === 'audit' && (l.audit as { outcome?: string }).outcome === 'error')).toBe(
      true,
    );
    expect(linesWithDuplicateKeys(lines)).toEqual([]);
  });
});
