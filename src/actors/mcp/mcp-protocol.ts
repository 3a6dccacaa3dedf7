// BackendProtocol for MCP on HTTP: 2026-07-28 (stateless, modern/) and 2025-11-25 negotiated down to 2025-06-18 /
// 2025-03-26 on Streamable HTTP, and 2024-11-05 on the legacy HTTP+SSE transport. On Streamable HTTP a connect without
// a cached era probes it first (`server/discover`, modern/classify.ts). Each connect resolves the outgoing credentials once (so a failing
// token exchange fails the attempt as an auth error, not as a mystery 401 later) and opens a fresh transport: a new
// session never inherits anything from an old one. Every header value sent is registered with the backend's redactor
// on the way out, and every error that leaves a connection passes it once more, so no text this backend sends back
// carries a credential we sent it, and every header is checked against the one header policy as it is sent.
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { checkHttpUrl } from '../../api/http-url.ts';
import type { OutgoingAuth } from './auth/types.ts';
import type { ActorClock } from './clock.ts';
import { MCPRE_CLIENT_INFO, McpConnection, type McpConnectionOptions, SPOKEN_VERSIONS } from './connection.ts';
import { BackendError, configError } from './errors.ts';
import { checkedHeaderSource } from './headers.ts';
import type { HttpClient } from './http/http-client.ts';
import { probeEra } from './modern/classify.ts';
import type { ExchangeTarget } from './modern/exchange.ts';
import { ModernConnection } from './modern/modern-connection.ts';
import type { BackendConnection, BackendProtocol, EraDecision, SessionInfo, TransportKind } from './protocol.ts';
import { createSecretRedactor, type SecretRedactor } from './redactor.ts';
import { LegacySseTransport } from './transports/legacy-sse.ts';
import { StreamableHttpTransport } from './transports/streamable-http.ts';
import type { TransportOptions } from './transports/types.ts';

export interface McpProtocolOptions {
  url: string;
  transport: TransportKind;
  http: HttpClient;
  auth: OutgoingAuth;
  clock: ActorClock;
  log: Logger;
  clientInfo?: Implementation;
  capabilities?: ClientCapabilities;
  /** Who answers server requests that arrive outside any request (see McpConnectionOptions). */
  onUnrelatedServerRequest?: McpConnectionOptions['onUnrelatedServerRequest'];
  requestTimeoutMs?: number;
  /** The backend's redactor (default: a new one for this protocol). */
  redactor?: SecretRedactor;
}

/** The backend URL under the project's one URL rule (src/api/http-url.ts); a refusal is a non-retryable config error. */
export function parseBackendUrl(raw: string): URL {
  const result = checkHttpUrl(raw);
  if (!result.ok) throw configError(`backend URL ${result.problem}`);
  return result.url;
}

export function createMcpProtocol(options: McpProtocolOptions): BackendProtocol {
  const url = parseBackendUrl(options.url);
  const redactor = options.redactor ?? createSecretRedactor();
  const headers = checkedHeaderSource(options.auth, redactor);
  return {
    transport: options.transport,
    async connect(signal: AbortSignal, cached?: EraDecision): Promise<BackendConnection> {
      try {
        await headers(signal);
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
      let era = cached;
      if (options.transport === 'streamable-http') {
        const target: ExchangeTarget = { url, http: options.http, headers, redactor };
        const envelope = {
          clientInfo: options.clientInfo ?? MCPRE_CLIENT_INFO,
          clientCapabilities: options.capabilities ?? {},
        };
        let discovered: SessionInfo | undefined;
        if (!era) {
          const found = await probeEra(target, envelope, SPOKEN_VERSIONS, signal).catch((err: unknown) => {
            throw redactError(err, redactor);
          });
          era = found.decision;
          discovered = found.info;
        }
        if (era.era === 'modern' && era.version !== undefined) {
          const modern = new ModernConnection({
            target,
            clock: options.clock,
            log: options.log,
            era: { ...era, version: era.version },
            clientInfo: envelope.clientInfo,
            capabilities: envelope.clientCapabilities,
            requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
            legacyVersions: SPOKEN_VERSIONS,
            discovered,
          });
          return redactingConnection(modern, redactor, era);
        }
      }
      const transportOptions: TransportOptions = {
        url,
        http: options.http,
        headers,
        clock: options.clock,
        log: options.log,
        redactor,
      };
      const transport =
        options.transport === 'sse'
          ? new LegacySseTransport(transportOptions)
          : new StreamableHttpTransport(transportOptions);
      const connection = new McpConnection(transport, {
        clientInfo: options.clientInfo,
        capabilities: options.capabilities,
        onUnrelatedServerRequest: options.onUnrelatedServerRequest,
        requestTimeoutMs: options.requestTimeoutMs,
        clock: options.clock,
        log: options.log,
      });
      if (transport instanceof LegacySseTransport) {
        const onAbort = () => void connection.close();
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          await transport.start();
        } catch (err) {
          await connection.close();
          throw redactError(err, redactor);
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      }
      return redactingConnection(connection, redactor, era);
    },
  };
}

/**
 * The connection with every error it rejects with (and every stream outcome's words) passed through the redactor:
 * the transports redact what they read, this catches text the SDK builds from a server's answer on its own (e.g. an
 * unsupported protocolVersion it repeats).
 */
function redactingConnection(
  connection: BackendConnection,
  redactor: SecretRedactor,
  era: EraDecision | undefined,
): BackendConnection {
  const fail = (err: unknown): never => {
    throw redactError(err, redactor);
  };
  const callToolRaw = connection.callToolRaw?.bind(connection);
  return {
    get transport() {
      return connection.transport;
    },
    get info() {
      return connection.info;
    },
    era,
    initialize: (signal) => connection.initialize(signal).catch(fail),
    list: (kind, signal) => connection.list(kind, signal).catch(fail),
    request: (method, params, options) => connection.request(method, params, options).catch(fail),
    ...(callToolRaw ? { callToolRaw: (params, options) => callToolRaw(params, options).catch(fail) } : {}),
    openNotificationStream: (options) =>
      connection.openNotificationStream(options).then((outcome) => redactor.redactDeep(outcome), fail),
    onEvent: (listener) => connection.onEvent(listener),
    close: () => connection.close(),
    terminate: (signal) => connection.terminate(signal),
  };
}

/** The same error object (its class and fields are what callers decide on), with message, stack and data redacted. */
function redactError(err: unknown, redactor: SecretRedactor): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactor.redact(err) : err;
  err.message = redactor.redact(err.message);
  if (typeof err.stack === 'string') err.stack = redactor.redact(err.stack);
  const withData = err as { data?: unknown };
  if (withData.data !== undefined) withData.data = redactor.redactDeep(withData.data);
  return err;
}
