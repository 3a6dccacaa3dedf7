// The production implementations of the backend-session machine's named actors. Each backend's BackendProtocol comes
// in the machine input (and from there in the connect input), so the runtime provides these once and one machine
// serves every backend: `backendSessionMachine.provide({ actors: createBackendSessionActors({ log }) })`.
import type { Logger } from 'pino';
import { type EventObject, fromCallback, fromPromise } from 'xstate';
import type {
  BackendSessionEvent,
  ConnectInput,
  ConnectionInput,
  FetchListsInput,
  NotificationStreamInput,
} from '../../machines/backend-session-context.ts';
import { toSessionFailure } from '../../machines/backend-session-failures.ts';
import { listChangeKindOf } from '../../machines/backend-session-lists.ts';
import type { BackendConnection, BackendLists, SessionInfo } from './protocol.ts';

/** One notification-stream attempt, reported to the machine as stream.* events. */
const streamAttempt = fromCallback<EventObject, NotificationStreamInput>(({ input, sendBack }) => {
  const stop = new AbortController();
  const send = (event: BackendSessionEvent) => {
    if (!stop.signal.aborted) sendBack(event);
  };
  input.connection
    .openNotificationStream({
      lastEventId: input.lastEventId,
      signal: stop.signal,
      handlers: {
        onOpen: () => send({ type: 'stream.opened' }),
        onEventId: (id) => send({ type: 'stream.eventId', id }),
        onRetry: (ms) => send({ type: 'stream.retry', ms }),
        onMessage: () => send({ type: 'stream.message' }),
      },
    })
    .then(
      (outcome) =>
        outcome.kind === 'unsupported'
          ? send({ type: 'stream.unsupported', reason: outcome.reason })
          : send({ type: 'stream.ended', detail: outcome.detail }),
      (err: unknown) => send({ type: 'stream.failed', failure: toSessionFailure(err) }),
    );
  return () => stop.abort();
});

export function createBackendSessionActors(deps: { log: Logger }) {
  const { log } = deps;
  return {
    connect: fromPromise<BackendConnection, ConnectInput>(async ({ input, signal }) => {
      if (!input.protocol) throw new Error(`backend ${input.backendId}: no protocol in the session input`);
      const connection = await input.protocol.connect(signal, input.era);
      if (signal.aborted) {
        // The machine moved on while we connected (close, timeout): nobody will own this connection.
        await connection.close();
        throw new Error('connect aborted');
      }
      return connection;
    }),

    initialize: fromPromise<SessionInfo, ConnectionInput>(({ input, signal }) => input.connection.initialize(signal)),

    // On a 2026-07-28 connection `initialize` is `server/discover` (see modern/modern-connection.ts).
    serverDiscover: fromPromise<SessionInfo, ConnectionInput>(({ input, signal }) =>
      input.connection.initialize(signal),
    ),

    fetchLists: fromPromise<Partial<BackendLists>, FetchListsInput>(async ({ input, signal }) => {
      const out: Partial<BackendLists> = {};
      // One list after another: discovery is rare and this keeps a backend's load at one request at a time.
      for (const kind of input.kinds) {
        (out as Record<string, unknown>)[kind] = await input.connection.list(kind, signal);
      }
      return out;
    }),

    holdConnection: fromCallback<EventObject, ConnectionInput>(({ input, sendBack }) => {
      const { connection } = input;
      // The gateway's logger already names the backend; bound a second time the key would appear twice per line.
      const connectionLog = 'backend' in log.bindings() ? log : log.child({ backend: input.backendId });
      const off = connection.onEvent((event) => {
        if (event.type === 'sessionLost') {
          sendBack({ type: 'session.lost', sessionId: event.sessionId } satisfies BackendSessionEvent);
          return;
        }
        const kind = listChangeKindOf(event.method);
        if (kind) {
          sendBack({ type: 'notification.listChanged', kind } satisfies BackendSessionEvent);
          return;
        }
        // RFC: notifications we do not act on are logged and dropped.
        connectionLog.debug({ method: event.method }, 'backend notification dropped');
      });
      return () => {
        off();
        void connection.close();
      };
    }),

    notificationStream: streamAttempt,
    // The connection knows its era: on a 2026-07-28 connection the stream is `subscriptions/listen`.
    listenStream: streamAttempt,

    terminate: fromPromise<void, ConnectionInput>(({ input, signal }) => input.connection.terminate(signal)),
  };
}
