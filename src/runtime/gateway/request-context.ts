// Per-request context for the stand-in backend adapter. The SDK Client does not say on which stream a notification
// arrived, but its transport reads a POST's SSE response inside the async context of the `send()` that made the POST,
// so an AsyncLocalStorage store set around `client.request()` is visible both to our fetch wrapper (to record the HTTP
// status) and to the notification handlers (to route a `notifications/message` to the caller that caused it).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';

export interface BackendRequestContext {
  httpStatus?: number;
  onLog?: (log: LoggingMessageNotification['params']) => void;
  onServerRequest?: (request: { method: string; params?: Record<string, unknown> }) => Promise<Record<string, unknown>>;
}

export const backendRequestContext = new AsyncLocalStorage<BackendRequestContext>();
