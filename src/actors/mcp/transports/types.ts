// What our transports offer beyond the SDK's Transport interface: the server-to-client stream as one attempt the
// machine drives (instead of the SDK's built-in reconnection), DELETE at shutdown, connection events (session loss seen
// outside a request), and per-request hooks so a request's own log notifications and HTTP status reach its caller.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { LoggingMessageNotification, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { ActorClock } from '../clock.ts';
import type { HttpClient } from '../http/http-client.ts';
import type {
  ConnectionEvent,
  NotificationStreamHandlers,
  NotificationStreamOutcome,
  RequestOptions,
  TransportKind,
} from '../protocol.ts';
import type { Redactor } from '../redactor.ts';

/** Outgoing headers (auth, forwarded), resolved per HTTP request so rotated secrets and fresh tokens apply at once. */
export type HeaderSource = (signal: AbortSignal) => Promise<Record<string, string>>;

export interface RequestHooks {
  onLog?: (log: LoggingMessageNotification['params']) => void;
  onStatus?: (status: number) => void;
  onServerRequest?: RequestOptions['onServerRequest'];
  /** Keep the JSON text the response's result was parsed from (raw-json.ts); transports that cannot ignore it. */
  keepResultText?: boolean;
}

export interface McpTransport extends Transport {
  readonly kind: TransportKind;
  readonly protocolVersion: string | undefined;
  /** Set by the connection; receives what the transport sees outside any one request. */
  onConnectionEvent?: (event: ConnectionEvent) => void;
  /**
   * Attach hooks to the next JSON-RPC request this transport sends. The session client's request() calls send()
   * synchronously, so the connection binds right before calling it and the hooks land on exactly that request
   * (test/unit/mcp/session-client.test.ts fails should that change).
   */
  bindNextRequest(hooks: RequestHooks | undefined): void;
  openNotificationStream(options: {
    lastEventId: string | undefined;
    signal: AbortSignal;
    handlers: NotificationStreamHandlers;
  }): Promise<NotificationStreamOutcome>;
  terminate(signal: AbortSignal): Promise<void>;
  /** The hooks of the request on whose response stream the server request `id` arrived, if any. */
  hooksForServerRequest(id: RequestId): RequestHooks | undefined;
}

export interface TransportOptions {
  url: URL;
  http: HttpClient;
  headers: HeaderSource;
  clock: ActorClock;
  log: Logger;
  /** Takes the credentials this backend was sent out of the errors it answers with (servers echo them). */
  redactor: Redactor;
}
