// A small MCP server on loopback for `mcpre up` and for tests: a few tools (one reporting progress and logging), a
// resource, a resource template and a prompt, over Streamable HTTP with sessions. It needs no network beyond loopback.
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface DemoBackend {
  url: URL;
  /** Sessions the demo server currently holds (tests use it to simulate a restart that loses them). */
  sessionCount(): number;
  /** Forget every session, as a restarted server would: the next request with an old session id gets 404. */
  dropSessions(): Promise<void>;
  close(): Promise<void>;
}

export interface DemoBackendOptions {
  port?: number;
  /** Shown in tool descriptions, so two demo backends are told apart. */
  label?: string;
}

export function createDemoMcpServer(label = 'demo'): McpServer {
  const server = new McpServer(
    { name: `mcpre-${label}`, version: '0.1.0' },
    { capabilities: { logging: {}, completions: {} } },
  );
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: `Returns the message it was given (${label} backend).`,
      inputSchema: { message: z.string().describe('Text to send back') },
      annotations: { readOnlyHint: true },
    },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  );
  server.registerTool(
    'add',
    {
      title: 'Add',
      description: `Adds two numbers (${label} backend).`,
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool(
    'count',
    {
      title: 'Count',
      description: `Counts to n, reporting progress and logging each step (${label} backend).`,
      inputSchema: { n: z.number().int().min(1).max(100), delayMs: z.number().int().min(0).max(1000).default(0) },
    },
    async ({ n, delayMs }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= n; i++) {
        if (extra.signal.aborted) return { content: [{ type: 'text', text: `cancelled at ${i - 1}` }], isError: true };
        await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `step ${i}` } });
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: i, total: n },
          });
        }
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      }
      return { content: [{ type: 'text', text: `counted to ${n}` }] };
    },
  );
  server.registerTool(
    'fail',
    { description: `Always reports a tool error (${label} backend).`, inputSchema: {} },
    async () => ({ content: [{ type: 'text', text: 'this tool always fails' }], isError: true }),
  );
  server.registerResource(
    'readme',
    `demo://${label}/readme`,
    { title: 'Read me', description: 'What this demo backend is', mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: `This is the ${label} demo backend of mcpre.` }] }),
  );
  server.registerResource(
    'greeting',
    new ResourceTemplate(`demo://${label}/greeting/{name}`, {
      list: undefined,
      complete: { name: (value) => ['alice', 'bob', 'carol'].filter((n) => n.startsWith(value)) },
    }),
    { title: 'Greeting', mimeType: 'text/plain' },
    async (uri, { name }) => ({ contents: [{ uri: uri.href, text: `Hello, ${String(name)}!` }] }),
  );
  server.registerPrompt(
    'summarize',
    { title: 'Summarize', description: 'Asks for a summary of a text', argsSchema: { text: z.string() } },
    ({ text }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Summarize this:\n${text}` } }] }),
  );
  return server;
}

/** Serve one McpServer per session (an McpServer connects to one transport) on loopback. */
export async function startDemoBackend(opts: DemoBackendOptions = {}): Promise<DemoBackend> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer(async (req, res) => {
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? transports.get(id) : undefined;
    if (typeof id === 'string' && !transport) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
      return;
    }
    if (!transport) {
      const t = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void transports.set(sid, t),
        onsessionclosed: (sid) => void transports.delete(sid),
      });
      t.onclose = () => {
        if (t.sessionId) transports.delete(t.sessionId);
      };
      await createDemoMcpServer(opts.label).connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const dropSessions = async () => {
    const all = [...transports.values()];
    transports.clear();
    await Promise.allSettled(all.map((t) => t.close()));
  };
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    sessionCount: () => transports.size,
    dropSessions,
    close: async () => {
      await dropSessions();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}
