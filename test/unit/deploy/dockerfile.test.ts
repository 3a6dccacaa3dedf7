// The image is built elsewhere (no Docker engine runs here), so the Dockerfile is linted in a test: the
// dockerfile-utils validator (the one behind the Dockerfile language server) must find nothing, and the properties
// the deployment manifests rely on are checked: multi-stage, a non-root distroless runtime, the compiled CLI as
// entrypoint with production dependencies only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '../../..');
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

/** The instructions of the stage named `name` (`FROM ... AS name`). */
function stage(ins: Array<[string, string]>, name: string): Array<[string, string]> {
  const start = ins.findIndex(([k, v]) => k === 'FROM' && new RegExp(`\\s+AS\\s+${name}$`, 'i').test(v));
  const end = ins.findIndex(([k], i) => i > start && k === 'FROM');
  return start < 0 ? [] : ins.slice(start, end < 0 ? undefined : end);
}

/** Instructions as [KEYWORD, rest], comments and continuation lines folded. */
function instructions(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [kw = '', ...rest] = t.split(/\s+/);
    out.push([kw.toUpperCase(), rest.join(' ')]);
  }
  return out;
}

describe('Dockerfile', () => {
  it('passes the dockerfile-utils validator with no diagnostics', () => {
    const problems = validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('the validator is not vacuous: it reports a broken Dockerfile', () => {
    const broken = 'FROM node:24-bookworm-slim AS deps\nCOPY\nEXPOSE 99999\nFROM deps AS deps\n';
    expect(validate(broken).length).toBeGreaterThanOrEqual(3);
  });

  it('builds in stages and runs as a non-root user on a distroless Node 24 base', () => {
    const ins = instructions(dockerfile);
    const froms = ins.filter(([k]) => k === 'FROM').map(([, v]) => v);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const runtime = froms.at(-1) ?? '';
    expect(runtime).toMatch(/^gcr\.io\/distroless\/nodejs24-[^:]+:nonroot/);
    const lastStage = ins.slice(ins.findLastIndex(([k]) => k === 'FROM'));
    const user = lastStage.filter(([k]) => k === 'USER').at(-1)?.[1];
    expect(user, 'USER in the runtime stage').toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    // The deployment manifests run `operator`, `gateway` and `gateway --proxy-mode` as arguments to this entrypoint.
    const entrypoint = JSON.parse(lastStage.find(([k]) => k === 'ENTRYPOINT')?.[1] ?? '[]') as string[];
    // The compiled build, not the sources on type stripping (about 30 MiB less RSS per pod).
    expect(entrypoint.at(-1)).toBe('/app/dist/src/cli.js');
    expect(
      ins.some(([k]) => k === 'ADD'),
      'COPY, not ADD',
    ).toBe(false);
    const copies = lastStage.filter(([k]) => k === 'COPY').map(([, v]) => v);
    const builtFrom = /^--from=(\S+)\s+\/app\/dist\/src\s/.exec(
      copies.find((v) => v.includes('/app/dist/src')) ?? '',
    )?.[1];
    expect(builtFrom, 'dist/src copied from a build stage').toBeDefined();
    expect(stage(ins, builtFrom ?? '').some(([k, v]) => k === 'RUN' && v.includes('tsconfig.build.json'))).toBe(true);
    const depsFrom = /^--from=(\S+)\s+\/app\/node_modules\s/.exec(
      copies.find((v) => v.includes('node_modules')) ?? '',
    )?.[1];
    expect(depsFrom, 'node_modules copied from a stage').toBeDefined();
    expect(stage(ins, depsFrom ?? '').find(([k, v]) => k === 'RUN' && v.includes('npm ci'))?.[1]).toContain(
      '--omit=dev',
    );
    expect(
      copies.some((v) => /^src\s/.test(v)),
      'no sources in the image',
    ).toBe(false);
  });
});
