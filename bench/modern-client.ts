// The clients of the latency benchmark behind one face: a 2025-era session (the v1 SDK's Client) and a 2026-07-28
// client, either the v2 SDK's Client pinned to 2026-07-28 (what a real client runs) or bare fetch POSTs carrying the
// per-request envelope and its mirrored headers (nothing on the client side but JSON and HTTP, to tell the client's
// own cost apart from the gateway's).
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

export type Era = '2025' | '2026';
export const MODERN_VERSION = '2026-07-28';

export interface CallAnswer {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
}

export interface Caller {
  call(tool: string, args: Record<string, unknown>): Promise<CallAnswer>;
  close(): Promise<void>;
}

export async function connectLegacy(url: URL): Promise<Caller & { client: Client }> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url));
  return {
    client,
    call: (name, args) =>
      client.request(
        { method: 'tools/call', params: { name, arguments: args } },
        CallToolResultSchema,
      ) as Promise<CallAnswer>,
    close: () => client.close(),
  };
}

export async function connectModern(url: URL, kind: 'sdk' | 'raw'): Promise<Caller> {
  if (kind === 'raw') return rawModern(url);
  const client = new ModernClient(
    { name: 'bench', version: '1' },
    { versionNegotiation: { mode: { pin: MODERN_VERSION } } },
  );
  await client.connect(new ModernTransport(url));
  if (client.getNegotiatedProtocolVersion() !== MODERN_VERSION) {
    throw new Error(`${url.href} negotiated ${client.getNegotiatedProtocolVersion()}, not ${MODERN_VERSION}`);
  }
  return {
    call: (name, args) => client.callTool({ name, arguments: args }) as Promise<CallAnswer>,
    close: () => client.close(),
  };
}

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'bench-raw', version: '1' },
};

let nextId = 0;

/** One POST per call; the answer read from a JSON body or from the SSE stream the server chose. */
function rawModern(url: URL): Caller {
  return {
    async call(name, args) {
      const id = ++nextId;
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': MODERN_VERSION,
          'mcp-method': 'tools/call',
          'mcp-name': name,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name, arguments: args, _meta: ENVELOPE },
        }),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      const sse = res.headers.get('content-type')?.startsWith('text/event-stream');
      const messages = sse
        ? text
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => JSON.parse(l.slice(5)))
        : [JSON.parse(text)];
      const answer = messages.find((m) => m?.id === id) as { result?: CallAnswer; error?: unknown } | undefined;
      if (!answer?.result) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
      return answer.result;
    },
    close: async () => {},
  };
}
