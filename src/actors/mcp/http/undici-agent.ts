// undici's Agent, Pool, Client and connector without the rest of the package: `import 'undici'` loads all of it (fetch,
// WebSocket, caches, mocks: about 110 modules, several MiB at rest in every pod) where a backend session needs the Agent
// and connector and the operator's Kubernetes client a Pool of Clients, with the request methods the package's index
// puts on every dispatcher (`request`, `stream`, ...), put there the same way. The package has no exports map, so its
// files are reachable; a unit test checks that they are still what the package exports.
import { createRequire } from 'node:module';
import type {
  Agent as UndiciAgent,
  Client as UndiciClient,
  Pool as UndiciPool,
  buildConnector as undiciBuildConnector,
} from 'undici';

const require = createRequire(import.meta.url);

Object.assign(require('undici/lib/dispatcher/dispatcher.js').prototype, require('undici/lib/api/index.js'));

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
export const Pool = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
export const Client = require('undici/lib/dispatcher/client.js') as typeof UndiciClient;
export const buildConnector = require('undici/lib/core/connect.js') as typeof undiciBuildConnector;

/** A function that opens a connection for the Agent (undici's `buildConnector.connector`). */
export type Connector = ReturnType<typeof undiciBuildConnector>;
