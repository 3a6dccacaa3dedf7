// The one namespace resolver (src/runtime/namespace.ts): the caller's sources in order, the pod's own between them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podNamespace, resolveNamespace } from '../../../src/runtime/namespace.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcpre-ns-'));
const podFile = join(dir, 'namespace');
writeFileSync(podFile, 'from-pod\n');
const noPod = join(dir, 'absent');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('namespace resolution', () => {
  it("reads the pod's namespace from the service-account mount, undefined outside a pod", () => {
    expect(podNamespace(podFile)).toBe('from-pod');
    expect(podNamespace(noPod)).toBeUndefined();
  });

  it("takes the first set source before the pod's own, then the pod's, then the ones after", () => {
    const missing = 'say how';
    expect(resolveNamespace({ before: [undefined, 'flag'], after: ['late'], missing, podFile })).toBe('flag');
    expect(resolveNamespace({ before: [undefined, ''], after: ['late'], missing, podFile })).toBe('from-pod');
    expect(resolveNamespace({ before: [undefined], after: [undefined, 'late'], missing, podFile: noPod })).toBe('late');
  });

  it('says how to set one when no source is set', () => {
    expect(() =>
      resolveNamespace({ before: [undefined], after: [''], missing: 'pass --namespace', podFile: noPod }),
    ).toThrow('pass --namespace');
  });
});
