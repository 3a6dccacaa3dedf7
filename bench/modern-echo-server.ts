// A 2026-07-28-only backend for the benchmarks, in its own process: the v2 SDK's stateless handler
// (`createMcpHandler`, `legacy: 'reject'`, one McpServer per request as the SDK serves) on 127.0.0.1, with the same
// `echo` tool as server-everything (`{ message }` -> `Echo: <message>`) so the latency benchmark checks answers the
// same way on both backends, and tools list changes published to `subscriptions/listen` streams. Nothing is recorded
// per request (unlike test/fixtures/mcp/modern-server.ts), so its cost per call is the SDK's alone.
//   node bench/modern-echo-server.ts ['{"keepAliveMs": 60000}']
// prints `MCPRE_FIXTURE_URL <url>`; POST <origin>/__control/stats answers `{ listeners }` (open listen streams),
// /__control/setTools with `[names]` adds tools and tells every listen stream. Exits on SIGTERM or when stdin closes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, InMemoryServerEventBus, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

const options = (process.argv[2] ? JSON.parse(process.argv[2]) : {}) as { keepAliveMs?: number };
/** The SDK refuses listen streams past 1024 per handler by default; the session benchmark opens up to 10,000. */
const MAX_SUBSCRIPTIONS = 100_000;
let extraTools: string[] = [];

const factory = () => {
  const server = new McpServer(
    { name: 'bench-modern-echo', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true } } },
  );
  server.registerTool(
    'echo',
    { description: 'Echoes back the input', inputSchema: z.object({ message: z.string() }) },
    async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }),
  );
  for (const name of extraTools) {
    server.registerTool(name, { description: `added at run time: ${name}` }, async () => ({
      content: [{ type: 'text', text: name }],
    }));
  }
  return server;
};

const bus = new InMemoryServerEventBus();
const handler = createMcpHandler(factory, {
  legacy: 'reject',
  keepAliveMs: options.keepAliveMs ?? 0,
  bus,
  maxSubscriptions: MAX_SUBSCRIPTIONS,
});
const serve = toNodeHandler(handler);

const controls: Record<string, (args: unknown[]) => unknown> = {
  stats: () => ({ listeners: bus.listenerCount }),
  setTools: (args) => {
    extraTools = (args[0] as string[]).filter((n) => n !== 'echo');
    handler.notify.toolsChanged();
  },
};

const http = createServer((req, res) => {
  const control = req.url?.startsWith('/__control/') ? controls[req.url.slice('/__control/'.length)] : undefined;
  if (!control) {
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    return;
  }
  let raw = '';
  req.on('data', (c: Buffer) => {
    raw += c.toString();
  });
  req.on('end', () => {
    const result = control(raw ? (JSON.parse(raw) as unknown[]) : []);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: result ?? null }));
  });
});
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`MCPRE_FIXTURE_URL http://127.0.0.1:${port}/mcp\n`);
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await handler.close();
  http.closeAllConnections();
  http.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
