// What a request in a 2025-era session asks for, answered from the one ServerDefinition and Router the 2026-07-28
// endpoint uses too: lists, calls, completion, and the session's own state (log level, resource subscriptions), which
// is written to the session store so that any process serving the session's next request sees it.
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode } from '../../api/mcp-errors.ts';
import { RequestError } from '../forward-errors.ts';
import { completionParams, type Extra, named, type SessionLogState } from '../router.ts';
import type { ListMethod, ServerDefinition } from '../server-definition.ts';
import type { ResourceSubscriptions } from '../subscriptions.ts';
import type { RequestMessage } from './messages.ts';
import type { ClientSessionRecord, SessionStore } from './store.ts';

type Result = Record<string, unknown>;

const LEVELS: ReadonlySet<string> = new Set<LoggingLevel>([
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
]);

const LISTS: ReadonlySet<string> = new Set<ListMethod>([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
]);

export interface DispatchDeps {
  definition: ServerDefinition;
  subscriptions: ResourceSubscriptions;
  store: SessionStore;
}

/** The router's view of the session: its log level and capabilities as the record says. */
export function logStateOf(record: ClientSessionRecord): SessionLogState {
  return new RecordLogState(record);
}

/** One small object per call, its methods shared. */
class RecordLogState implements SessionLogState {
  readonly #record: ClientSessionRecord;

  constructor(record: ClientSessionRecord) {
    this.#record = record;
  }

  get level(): LoggingLevel | undefined {
    return this.#record.logLevel;
  }

  clientCapabilities(): ClientSessionRecord['clientCapabilities'] {
    return this.#record.clientCapabilities;
  }
}

export async function dispatch(
  deps: DispatchDeps,
  record: ClientSessionRecord,
  request: RequestMessage,
  extra: Extra,
): Promise<Result> {
  const { definition } = deps;
  const { router } = definition;
  const { method } = request;
  const params = request.params ?? {};
  if (LISTS.has(method)) return definition.list(method as ListMethod, extra);
  const log = logStateOf(record);
  switch (method) {
    case 'ping':
      return {};
    case 'tools/call':
      return router.callTool(named(params, 'name'), extra, log);
    case 'prompts/get':
      return router.getPrompt(named(params, 'name'), extra, log);
    case 'resources/read':
      return router.readResource(named(params, 'uri'), extra, log);
    case 'completion/complete':
      return router.complete(completionParams(params), extra, log);
    case 'logging/setLevel': {
      const level = params.level;
      if (typeof level !== 'string' || !LEVELS.has(level)) {
        throw new RequestError(
          ErrorCode.InvalidParams,
          `Invalid params: level must be one of ${[...LEVELS].join(', ')}`,
        );
      }
      record.logLevel = level as LoggingLevel;
      await deps.store.update(record.id, { logLevel: record.logLevel });
      return {};
    }
    case 'resources/subscribe': {
      const { uri } = named(params, 'uri');
      await deps.subscriptions.subscribe(record.id, uri);
      if (!record.subscriptions.includes(uri)) {
        record.subscriptions = [...record.subscriptions, uri];
        await deps.store.update(record.id, { subscriptions: record.subscriptions });
      }
      return {};
    }
    case 'resources/unsubscribe': {
      const { uri } = named(params, 'uri');
      await deps.subscriptions.unsubscribe(record.id, uri);
      if (record.subscriptions.includes(uri)) {
        record.subscriptions = record.subscriptions.filter((u) => u !== uri);
        await deps.store.update(record.id, { subscriptions: record.subscriptions });
      }
      return {};
    }
    case 'initialize':
      throw new RequestError(ErrorCode.InvalidRequest, 'Invalid Request: Server already initialized');
    default:
      throw new RequestError(ErrorCode.MethodNotFound, 'Method not found');
  }
}

/** The JSON-RPC error for a failed request: its code and data when it has them, as the SDK server answered. */
export function errorOf(err: unknown): { code: number; message: string; data?: unknown } {
  const e = err as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = typeof e?.code === 'number' && Number.isSafeInteger(e.code) ? e.code : ErrorCode.InternalError;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : 'Internal error';
  return { code, message, ...(e?.data !== undefined ? { data: e.data } : {}) };
}
