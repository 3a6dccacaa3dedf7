// `mcpre probe` as a user runs it: a child process (`npx node src/cli.ts probe ...`) against the fault fixture.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { type FaultServer, type FaultServerOptions, startFaultServer } from '../../fixtures/mcp/fault-server.ts';
import { startModernServer } from '../../fixtures/mcp/modern-server.ts';
import { runToEnd } from '../../support/child-process.ts';
import { until } from '../../support/eventually.ts';

const probe = (args: string[], timeoutMs = 60_000) =>
  runToEnd('npx', ['node', 'src/cli.ts', 'probe', ...args], { timeoutMs });

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const start = async (options: FaultServerOptions = {}) => {
  server = await startFaultServer(options);
  return server;
};

describe('mcpre probe', () => {
  it('prints each transition, the negotiated version, the session id and GET stream, capabilities, and a call result', async () => {
    const s = await start();
    const run = await probe([
      s.url,
      '--call',
      'add',
      '--args',
      '{"a":20,"b":22}',
      '--header',
      'X-Api-Key=never-print-me',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const states = lines.filter((l) => /^\s+\+\d+\.\d+s {2}\w/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    expect(states.slice(0, 4)).toEqual(['connecting', 'initializing', 'discovering', 'ready']);
    expect(run.stdout).toContain('ready: protocol 2025-11-25 over streamable-http; server mcpre-fault-fixture 1.0.0');
    expect(run.stdout).toMatch(/session id: granted \(fingerprint [0-9a-f]{12}\)/);
    expect(run.stdout).toContain('GET stream: open');
    expect(run.stdout).toContain(
      'capabilities: tools (listChanged), resources (listChanged), prompts (listChanged), logging',
    );
    expect(run.stdout).toContain('tools (5): echo, add, slow, big, log');
    expect(run.stdout).toContain('call add: ok\n  text: 42');
    expect(run.stdout + run.stderr).not.toContain('never-print-me');
    // The header reached the backend on every request, and the session was DELETEd at the end.
    expect(s.control.requests.every((r) => r.headers['x-api-key'] === 'never-print-me')).toBe(true);
    expect(s.control.requests.at(-1)?.httpMethod).toBe('DELETE');
  });

  it('calls through a re-initialization when the backend dropped the session just before the call', async () => {
    const s = await start();
    // server/discover (the era probe), initialize, initialized, 4 lists, GET: the 9th request (the call) finds its
    // session gone.
    s.control.dropSessionsAfter(8);
    const run = await probe([s.url, '--call', 'echo', '--args', '{"n":1}']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('reinitializing');
    expect(run.stdout).toContain('call echo: ok\n  text: {"n":1}');
    expect(s.control.stats().initializes).toBe(2);
    expect(s.control.count({ rpcMethod: 'tools/call' })).toBe(2);
  });

  it('shows the revision and era negotiated with a 2026-07-28-only server, and calls it statelessly', async () => {
    const modern = await startModernServer();
    try {
      const run = await probe([modern.url, '--call', 'add', '--args', '{"a":1,"b":2}']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('serverDiscover');
      expect(run.stdout).toContain('ready: protocol 2026-07-28 over streamable-http; server modern-fixture 2.0.0');
      expect(run.stdout).toContain('era: modern (server/discover lists 2026-07-28)');
      expect(run.stdout).toContain('session id: none (stateless server)');
      expect(run.stdout).toContain('call add: ok\n  text: 3');
      const json = await probe([modern.url, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const ready = json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown })
        .find((e) => e.type === 'ready');
      expect(ready).toMatchObject({
        protocolVersion: '2026-07-28',
        era: { era: 'modern' },
        sessionId: { granted: false },
      });
    } finally {
      await modern.close();
    }
  });

  it('says when the server offers no GET stream (405)', async () => {
    const s = await start({ getStream: false });
    const run = await probe([s.url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('GET stream: not offered (the server answered GET with 405 Method Not Allowed)');
  });

  it('exits 1 naming the versions a 2026-07-28-only server offers', async () => {
    const s = await start({ protocolVersions: ['2026-07-28'] });
    const run = await probe([s.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /did not become ready \(failed\): the server refused initialize: it offers protocol versions 2026-07-28; mcpre speaks 2025-11-25/,
    );
    // One refusal right after the era probe could be a redeploy between the two: the probe runs once more first.
    expect(s.control.count({ rpcMethod: 'initialize' })).toBe(2);
  });

  it('exits 3 when the call fails, with the reason', async () => {
    const s = await start();
    const run = await probe([s.url, '--call', 'no-such-tool']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/calling no-such-tool failed: .*unknown tool no-such-tool/);
  });

  it('speaks JSON lines with --json, and the legacy transport with --transport sse', async () => {
    const s = await start();
    const run = await probe([s.sseUrl, '--transport', 'sse', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const ready = events.find((e) => e.type === 'ready');
    expect(ready).toMatchObject({
      protocolVersion: '2025-11-25',
      transport: 'sse',
      sessionId: { granted: true },
      getStream: { phase: 'open' },
    });
    expect((ready?.lists as { tools: string[] } | undefined)?.tools).toHaveLength(5);
    expect(events.at(-1)?.type).toBe('closed');
  });

  it('--watch stays connected and prints list changes; --ca-bundle makes a private CA trusted', async () => {
    const certs = await makeControlPlaneCerts(new Date(Date.now() - 60_000));
    const s = await start({ tls: { certPem: certs.serving.certPem, keyPem: certs.serving.keyPem } });
    const dir = await mkdtemp(join(tmpdir(), 'mcpre-probe-'));
    try {
      const untrusted = await probe([s.url, '--timeout', '3s']);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/certificate/i);
      expect(untrusted.stderr).toContain(
        "hint: the server's certificate is not trusted: pass its CA with --ca-bundle FILE",
      );
      const ca = join(dir, 'ca.pem');
      await writeFile(ca, certs.servingCa.certPem);
      const watching = probe([s.url, '--ca-bundle', ca, '--watch', '4s']);
      await until('the probe to open its GET stream', () => s.control.stats().getStreams === 1, { timeoutMs: 30_000 });
      await s.control.setTools(['echo', 'added-while-watching']);
      const run = await watching;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('GET stream: open');
      expect(run.stdout).toMatch(/lists changed: tools \(tools now: echo, added-while-watching\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad input before connecting, with exit code 2', async () => {
    const s = await start();
    for (const [args, message] of [
      [['not a url'], /URL "not a url" does not start with http:\/\/ or https:\/\//],
      [['http://user:pw@127.0.0.1:9/mcp'], /carries credentials/],
      [[s.url, '--header', 'X-Bad'], /expected NAME=VALUE/],
      [[s.url, '--header', 'Transfer-Encoding=chunked'], /--header "Transfer-Encoding" is reserved: hop-by-hop/],
      [[s.url, '--header', 'X-Forwarded-For=10.0.0.1'], /--header "X-Forwarded-For" is reserved/],
      [[s.url, '--header', 'X-A=1', '--header', 'x-a=2'], /--header x-a given twice/],
      [[s.url, '--call', 'echo', '--args', '{nope'], /--args is not valid JSON/],
      [[s.url, '--watch', 'forever'], /expected a duration/],
      [[s.url, '--transport', 'websocket'], /expected streamable-http or sse/],
      [[s.url, '--ca-bundle', '/nonexistent/ca.pem'], /--ca-bundle \/nonexistent\/ca.pem: ENOENT/],
    ] as const) {
      const run = await probe([...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect(s.control.requests).toHaveLength(0);
  });
});
