// BackendProtocol for today's MCP (2025-11-25 negotiated down to 2025-06-18 / 2025-03-26 on Streamable HTTP, and
// 2024-11-05 on the legacy HTTP+SSE transport). Each connect resolves the outgoing credentials once (so a failing
// token exchange fails the attempt as an auth error, not as a mystery 401 later) and opens a fresh transport: a new
// session never inherits anything from an old one.
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { OutgoingAuth } from './auth/types.ts';
import type { ActorClock } from './clock.ts';
import { McpConnection } from './connection.ts';
import { BackendError, configError } from './errors.ts';
import type { HttpClient } from './http/http-client.ts';
import type { BackendConnection, BackendProtocol, TransportKind } from './protocol.ts';
import { LegacySseTransport } from './transports/legacy-sse.ts';
import { StreamableHttpTransport } from './transports/streamable-http.ts';
import type { HeaderSource, TransportOptions } from './transports/types.ts';

export interface McpProtocolOptions {
  url: string;
  transport: TransportKind;
  http: HttpClient;
  auth: OutgoingAuth;
  clock: ActorClock;
  log: Logger;
  clientInfo?: Implementation;
  capabilities?: ClientCapabilities;
  requestTimeoutMs?: number;
}

export function parseBackendUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`${JSON.stringify(raw)} is not a URL (expected http(s)://host[:port]/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`${JSON.stringify(raw)}: only http and https backends are supported, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw configError('the backend URL must not embed credentials; use headerInjection or headerForward instead');
  }
  url.hash = '';
  return url;
}

export function createMcpProtocol(options: McpProtocolOptions): BackendProtocol {
  const url = parseBackendUrl(options.url);
  const headers: HeaderSource = (signal) => options.auth.headers(signal);
  return {
    transport: options.transport,
    async connect(signal: AbortSignal): Promise<BackendConnection> {
      try {
        await options.auth.headers(signal);
      } catch (err) {
        if (err instanceof BackendError) throw err;
        throw new BackendError(
          {
            kind: 'auth',
            retryable: true,
            message: `outgoing credentials: ${err instanceof Error ? err.message : String(err)}`,
          },
          { cause: err },
        );
      }
      const transportOptions: TransportOptions = {
        url,
        http: options.http,
        headers,
        clock: options.clock,
        log: options.log,
      };
      const transport =
        options.transport === 'sse'
          ? new LegacySseTransport(transportOptions)
          : new StreamableHttpTransport(transportOptions);
      const connection = new McpConnection(transport, {
        clientInfo: options.clientInfo,
        capabilities: options.capabilities,
        requestTimeoutMs: options.requestTimeoutMs,
        log: options.log,
      });
      if (transport instanceof LegacySseTransport) {
        const onAbort = () => void connection.close();
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          await transport.start();
        } catch (err) {
          await connection.close();
          throw err;
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      }
      return connection;
    },
  };
}
