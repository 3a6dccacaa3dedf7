// node:http through require, not an ESM import: importing a builtin as ESM reads every export once, and node:http's
// lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters then load Node's bundled copy of undici (about 12 MiB of
// RSS, measured at rest) that no server here uses. Types still come from `import type ... from 'node:http'`.
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export const createServer = http.createServer;
