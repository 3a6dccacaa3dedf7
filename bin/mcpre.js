#!/usr/bin/env node
// The CLI runs its TypeScript sources directly on Node 24 (type stripping); a published package ships dist/.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('../src/cli.ts', import.meta.url).href);
