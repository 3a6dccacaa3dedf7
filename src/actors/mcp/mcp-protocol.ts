// BackendProtocol for today's MCP (2025-11-25 negotiated down to 2025-06-18 / 2025-03-26 on Streamable HTTP, and
// 2024-11-05 on the legacy HTTP+SSE transport). Each connect resolves the outgoing credentials once (so a failing
// token exchange fails the attempt as an auth error, not as a mystery 401 later) and opens a fresh transport: a new
// session never inherits anything from an old one.
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { checkHttpUrl } from '../../api/http-url.ts';
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

/** The backend URL under the project's one URL rule (src/api/http-url.ts); a refusal is a non-retryable config error. */
export function parseBackendUrl(raw: string): URL {
  const result = checkHttpUrl(raw);
  if (!result.ok) throw configError(`backend URL ${result.problem}`);
  return result.url;
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
