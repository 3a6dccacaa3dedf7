// The package as a user gets it: `npm pack` (which builds dist/ first), installed from the tarball into an empty
// folder, then run there on the pinned Node 24 (an installed package cannot run its TypeScript sources: Node does not
// strip types under node_modules). Each command that opens a file shipped with the package must find it wherever the
// package is: `mcpre viz`, `mcpre up` (examples/up/demo.yaml, the live view's page), `mcpre dev cluster` (the CRDs,
// and the control-plane binaries from KUBEBUILDER_ASSETS, set by the integration global setup).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, startCli } from '../../support/cli-process.ts';
import { REPO_ROOT } from '../../support/control-plane.ts';
import { eventually } from '../../support/eventually.ts';

const run = promisify(execFile);
const NODE = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
const INSTALL_TIMEOUT_MS = 600_000;

let work: string;
let installDir: string;
let packageDir: string;
let runEnv: NodeJS.ProcessEnv;
const processes: CliProcess[] = [];
afterEach(() => {
  for (const p of processes.splice(0)) p.kill();
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `mcpre` through the bin link npm made, on the pinned Node (first on PATH), with `extra` in its environment. */
function mcpre(args: string[], extra: NodeJS.ProcessEnv = {}): CliProcess {
  const p = startCli(join(installDir, 'node_modules', '.bin', 'mcpre'), args, {
    cwd: installDir,
    env: { ...runEnv, ...extra },
  });
  processes.push(p);
  return p;
}

/** Every process whose command line mentions `path` (how a control plane's etcd and kube-apiserver are found). */
function processesMentioning(path: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(path)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

beforeAll(async () => {
  const { stdout: version } = await run(NODE, ['--version']);
  expect(version.trim()).toMatch(/^v24\./);
  work = mkdtempSync(join(tmpdir(), 'mcpre-package-'));
  // `npm pack` runs the prepack script (`npm run build`) and writes the tarball; its last stdout line is its name.
  const packed = await run('npm', ['pack', '--pack-destination', work], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: INSTALL_TIMEOUT_MS,
  });
  const tarball = join(work, packed.stdout.trim().split('\n').at(-1) ?? '');
  expect(existsSync(tarball), tarball).toBe(true);
  installDir = join(work, 'app');
  mkdirSync(installDir);
  writeFileSync(join(installDir, 'package.json'), '{ "private": true }\n');
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: installDir,
    maxBuffer: 16 * 1024 * 1024,
    timeout: INSTALL_TIMEOUT_MS,
  });
  packageDir = join(installDir, 'node_modules', 'mcpre');
  runEnv = {
    ...process.env,
    PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}`,
    KUBERNETES_SERVICE_HOST: undefined,
    KUBECONFIG: undefined,
  };
}, INSTALL_TIMEOUT_MS * 2);

describe('the installed package', () => {
  it('holds the build and the files it opens at run time, and no TypeScript sources', () => {
    expect(existsSync(join(packageDir, 'dist', 'src', 'cli.js'))).toBe(true);
    expect(existsSync(join(packageDir, 'src', 'cli.ts'))).toBe(false);
    for (const file of [
      'scripts/setup-control-plane.sh',
      'scripts/lib/build-cache.sh',
      'crds/toolhive.stacklok.dev_mcpremoteendpoints.yaml',
      'examples/up/demo.yaml',
      'src/viz/live-view/page.html',
    ]) {
      expect(existsSync(join(packageDir, file)), file).toBe(true);
    }
  });

  it('mcpre --help and mcpre viz run from dist/', async () => {
    const help = mcpre(['--help']);
    expect(await help.exit()).toBe(0);
    for (const command of ['operator', 'gateway', 'up', 'viz', 'dev']) expect(help.stdout()).toContain(command);
    const viz = mcpre(['viz']);
    expect(await viz.exit(), viz.stderr()).toBe(0);
    expect(viz.stdout().match(/stateDiagram-v2/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('mcpre up loads its demo manifest and serves the live view page, and exits 0 on SIGTERM', async () => {
    const up = mcpre(['up', '--port', '0']);
    const [, url] = await up.waitFor(/serving MCP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 60_000);
    expect(up.stdout()).toMatch(/endpoint alpha: Ready/);
    const page = await fetch(new URL('/debug/actors', url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>mcpre actors</title>');
    up.child.kill('SIGTERM');
    expect(await up.exit(15_000)).toBe(0);
  });

  it('mcpre dev cluster installs the packaged CRDs, and on SIGTERM exits 0 leaving no process or file behind', async () => {
    const assets = process.env.KUBEBUILDER_ASSETS;
    if (!assets) throw new Error('KUBEBUILDER_ASSETS is not set: the integration global setup sets it');
    // The control plane's scratch directory goes under this TMPDIR: its processes are the ones naming it.
    const scratch = mkdtempSync(join(work, 'tmp-'));
    const kubeconfig = join(work, 'dev-cluster.kubeconfig');
    const cluster = mcpre(['dev', 'cluster', '--kubeconfig', kubeconfig], {
      KUBEBUILDER_ASSETS: assets,
      TMPDIR: scratch,
    });
    const [ready] = await cluster.waitFor(/mcpre dev cluster ready: .*\n.*\n/, 120_000);
    expect(ready).toContain('mcpremoteendpoints.toolhive.stacklok.dev');
    expect(ready).toContain(`apply -f ${join(packageDir, 'examples')}`);
    expect(processesMentioning(scratch).length).toBeGreaterThanOrEqual(2);
    const { stdout } = await run(join(assets, 'kubectl'), [
      '--kubeconfig',
      kubeconfig,
      'get',
      'mcpremoteendpoints',
      '-A',
    ]);
    expect(stdout).toBe('');

    cluster.child.kill('SIGTERM');
    expect(await cluster.exit(30_000)).toBe(0);
    expect(existsSync(kubeconfig)).toBe(false);
    await eventually('no process of the dev cluster left', async () =>
      processesMentioning(scratch).length === 0 ? true : undefined,
    );
    expect(readdirSync(scratch)).toEqual([]);
  }, 300_000);
});
