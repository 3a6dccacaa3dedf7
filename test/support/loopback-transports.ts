// MCP transports a unit test opens to its own loopback node:http servers: each is closed after the test, with its HTTP
// client and its server (connections included), so no socket outlives the test that made it.
import type { Server } from 'node:http';
import { afterEach } from 'vitest';
import type { HttpClient } from '../../src/actors/mcp/http/http-client.ts';

export interface OpenTransport {
  server: Server;
  http: HttpClient;
  transport: { close(): Promise<void> };
}

/** Registers the after-each close; push what a test opens onto the list returned. */
export function closedAfterEach(): OpenTransport[] {
  const open: OpenTransport[] = [];
  afterEach(async () => {
    for (const { server, http, transport } of open.splice(0)) {
      await transport.close();
      await http.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
  return open;
}
