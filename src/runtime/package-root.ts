// Where the package's own files are: crds/, examples/, scripts/, the live view's page. Found from this module's
// location by walking up to the package.json named "mcpre", so the same code works from the sources (src/...), from
// the build (dist/src/...), from an installed package (node_modules/mcpre/dist/src/...) and in the image (/app/src).
// Every place that opens a file shipped with the package goes through packagePath(); package.json "files" lists them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'mcpre';
/** src/runtime or dist/src/runtime: the root is a few levels up; the bound only stops a broken layout early. */
const MAX_LEVELS = 8;

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (let level = 0; level <= MAX_LEVELS; level++) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    ) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} package root (its package.json) above ${start}`);
}

/** A file or directory shipped with the package, e.g. packagePath('crds'). */
export function packagePath(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
