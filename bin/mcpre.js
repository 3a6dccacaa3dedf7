#!/usr/bin/env node
// In a checkout the CLI runs its TypeScript sources directly (Node 24 strips the types), so what runs is what was
// edited. An installed package has no sources, and Node refuses to strip types under node_modules anyway: it runs the
// build in dist/ (`npm run build`, which `npm pack` runs first).
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 11)) {
  process.stderr.write(`mcpre needs Node.js 24.11 or newer; this is ${process.version} (${process.execPath})\n`);
  process.exit(1);
}

const sources = new URL('../src/cli.ts', import.meta.url);
const built = new URL('../dist/src/cli.js', import.meta.url);
const underNodeModules = sources.pathname.split('/').includes('node_modules');
if (existsSync(sources) && !underNodeModules) await import(sources.href);
else if (existsSync(built)) await import(built.href);
else {
  process.stderr.write(`mcpre: neither ${sources.pathname} nor ${built.pathname} exists; run \`npm run build\`\n`);
  process.exit(1);
}
