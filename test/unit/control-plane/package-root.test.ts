// The package root is found from the module's own location, so shipped files resolve the same from src/ and dist/
// (the installed package is covered by test/integration/package).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CRD_DIR } from '../../../src/control-plane/control-plane.ts';
import { packagePath, packageRoot } from '../../../src/runtime/package-root.ts';

describe('packageRoot', () => {
  it('is the directory of the mcpre package.json, and every shipped file the code opens is under it', () => {
    expect(packageRoot()).toBe(join(import.meta.dirname, '../../..'));
    expect(JSON.parse(readFileSync(packagePath('package.json'), 'utf8')).name).toBe('mcpre');
    for (const path of [
      DEFAULT_CRD_DIR,
      packagePath('scripts', 'setup-control-plane.sh'),
      packagePath('examples', 'up', 'demo.yaml'),
      packagePath('src', 'viz', 'live-view', 'page.html'),
    ]) {
      expect(existsSync(path), path).toBe(true);
    }
  });
});
