// `mcpre migrate` as a user runs it: a file or stdin in, YAML on stdout, the report on stderr, and the exit codes
// the migration guide promises (0 converted, 1 bad input, 2 bad usage).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/control-plane.ts';

const NODE = join(REPO_ROOT, 'node_modules/.bin/node');
const FIXTURES = join(REPO_ROOT, 'test/fixtures/migrate');

function mcpre(args: string[], input?: string) {
  const res = spawnSync(NODE, ['src/cli.ts', 'migrate', ...args], {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

describe('mcpre migrate (CLI)', () => {
  it('converts a file: YAML on stdout, the report on stderr, exit 0 even with reported fields', () => {
    const res = mcpre(['-f', join(FIXTURES, 'toolhive-v1beta1-remote-proxies.input.yaml')]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(fixture('toolhive-v1beta1-remote-proxies.expected.yaml'));
    expect(res.stderr).toBe(fixture('toolhive-v1beta1-remote-proxies.expected-report.txt'));
  });

  it('reads stdin with -f -', () => {
    const res = mcpre(['-f', '-'], fixture('rfc-era-server-entries.input.yaml'));
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(fixture('rfc-era-server-entries.expected.yaml'));
  });

  it('passes --group and --name-suffix through', () => {
    const input =
      'apiVersion: toolhive.stacklok.dev/v1beta1\nkind: MCPRemoteProxy\nmetadata: {name: p}\nspec: {remoteUrl: https://r.example.com}\n';
    const res = mcpre(['-f', '-', '--group', 'platform', '--name-suffix', '-v2'], input);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('name: p-v2\n');
    expect(res.stdout).toContain('groupRef: platform\n');
  });

  it('exits 1 on unparseable input, naming the document, and writes nothing to stdout', () => {
    const res = mcpre(['-f', '-'], 'kind: ConfigMap\n---\nspec: [oops\n');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^mcpre migrate: document 2: invalid YAML: .* at line \d+, column \d+\n$/);
  });

  it('exits 2 on bad usage: no -f, an unknown option, an unreadable file, an invalid group name or --name-suffix', () => {
    const cases: [string[], RegExp][] = [
      [[], /missing -f FILE \(use -f - to read stdin\)/],
      [['-f', '-', '--frobnicate'], /unknown option '--frobnicate'/],
      [['-f', '/nonexistent/manifest.yaml'], /cannot read \/nonexistent\/manifest.yaml: ENOENT/],
      [['-f', '-', '--group', 'Not_A_Name'], /--group "Not_A_Name" is not a valid MCPGroup name/],
      [['-f', '-', '--staging-group', 'a..b'], /--staging-group "a..b" is not a valid MCPGroup name/],
      [['-f', '-', '--name-suffix', 'x_'], /--name-suffix "x_" must be lower-case letters/],
    ];
    for (const [args, message] of cases) {
      const res = mcpre(args, '');
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stdout).toBe('');
    }
  });

  it('prints help with the exit codes and exits 0', () => {
    const res = mcpre(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Exit status: 0 converted, 1 unparseable or unconvertible input, 2 bad usage.');
  });
});
