// A backend-session actor on a SimulatedClock with fake effects: every effect is recorded with the simulated time it
// started at and answered by a script the test writes. No I/O, no real timers.
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { createActor, type EventObject, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import { backendSessionMachine } from '../../../src/machines/backend-session.ts';
import type {
  BackendSessionEmitted,
  BackendSessionEvent,
  ConnectInput,
} from '../../../src/machines/backend-session-context.ts';
import type { SessionPolicy } from '../../../src/machines/backend-session-policy.ts';
import type {
  BackendConnection,
  BackendLists,
  ConnectionEvent,
  EraDecision,
  ListKind,
  SessionInfo,
} from '../../../src/machines/backend-session-protocol.ts';
import { seededRng } from '../../../src/runtime/random.ts';

let connectionSeq = 0;

/** A connection object the fakes hand out; it records what the machine did to it. */
export class FakeConnection implements BackendConnection {
  readonly transport = 'streamable-http' as const;
  readonly id = ++connectionSeq;
  /** The era `connect` decided (a probe), as the real protocol reports it; absent: no probe was made. */
  era: EraDecision | undefined;
  constructor(era?: EraDecision) {
    this.era = era;
  }
  info: SessionInfo | undefined;
  closed = false;
  terminated = false;
  readonly listeners = new Set<(event: ConnectionEvent) => void>();
  initialize(): Promise<SessionInfo> {
    throw new Error('fake: the machine calls the initialize actor, not the connection');
  }
  list<K extends ListKind>(): Promise<BackendLists[K]> {
    throw new Error('fake: not used');
  }
  request(): Promise<{ result: Record<string, unknown>; report: object }> {
    throw new Error('fake: not used');
  }
  openNotificationStream(): Promise<{ kind: 'ended' }> {
    throw new Error('fake: the machine calls the notificationStream actor');
  }
  onEvent(listener: (event: ConnectionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  async terminate(): Promise<void> {
    this.terminated = true;
    this.closed = true;
  }
}

export interface Call {
  name: 'connect' | 'initialize' | 'serverDiscover' | 'fetchLists' | 'terminate';
  at: number;
  input: unknown;
}

export interface StreamHandle {
  /** The 2025 GET stream or the 2026-07-28 subscriptions/listen stream. */
  kind: 'get' | 'listen';
  at: number;
  connection: BackendConnection;
  lastEventId: string | undefined;
  stopped: boolean;
  send(event: BackendSessionEvent): void;
}

export interface Script {
  connect?: (n: number, input: ConnectInput) => BackendConnection | Error | 'hang';
  initialize?: (connection: FakeConnection, n: number) => SessionInfo | Error | 'hang';
  serverDiscover?: (connection: FakeConnection, n: number) => SessionInfo | Error | 'hang';
  fetchLists?: (
    kinds: ListKind[],
    n: number,
  ) => Partial<BackendLists> | Error | 'hang' | Promise<Partial<BackendLists>>;
}

export const allCaps: ServerCapabilities = {
  tools: { listChanged: true },
  resources: { listChanged: true },
  prompts: {},
};

let sessionSeq = 0;
export function sessionFor(connection: FakeConnection, capabilities: ServerCapabilities = allCaps): SessionInfo {
  const info: SessionInfo = {
    protocolVersion: '2025-11-25',
    transport: 'streamable-http',
    sessionId: `s-${++sessionSeq}`,
    serverInfo: { name: 'fake', version: '1' },
    capabilities,
    instructions: undefined,
  };
  connection.info = info;
  return info;
}

/** A 2026-07-28 session: no session id, described by server/discover. */
export function modernSessionFor(connection: FakeConnection, capabilities: ServerCapabilities = allCaps): SessionInfo {
  const info: SessionInfo = {
    protocolVersion: '2026-07-28',
    transport: 'streamable-http',
    sessionId: undefined,
    serverInfo: { name: 'fake', version: '2' },
    capabilities,
    instructions: undefined,
  };
  connection.info = info;
  return info;
}

export const MODERN: EraDecision = { era: 'modern', version: '2026-07-28', reason: 'server/discover lists 2026-07-28' };
export const LEGACY: EraDecision = { era: 'legacy', version: undefined, reason: 'server/discover answered 404' };

export const tool = (name: string) => ({ name, inputSchema: { type: 'object' as const } });

/** An error shaped like the ones src/actors/mcp throws. */
export function failure(kind: string, retryable: boolean, message = kind, extra: object = {}): Error {
  return Object.assign(new Error(message), { kind, retryable, ...extra });
}

export function createHarness(options: { script?: Script; policy?: Partial<SessionPolicy>; seed?: number } = {}) {
  const clock = new SimulatedClock();
  const calls: Call[] = [];
  const streams: StreamHandle[] = [];
  const emitted: BackendSessionEmitted[] = [];
  const connections: FakeConnection[] = [];
  const script: Script = options.script ?? {};
  const counts = { connect: 0, initialize: 0, serverDiscover: 0, fetchLists: 0 };

  /**
   * Effect answers on their way to the machine: `flush` waits until there are none. An answer that hangs never joins;
   * one the test holds (a promise the script returned) joins when the test settles it.
   */
  const settling = new Set<Promise<unknown>>();
  const answer = <T>(value: T | Error | 'hang' | Promise<T>): Promise<T> => {
    if (value === 'hang') return new Promise<T>(() => {});
    if (value instanceof Promise) {
      // Registered before xstate's own callback on this promise, so the answer joins before the machine sees it.
      const join = () => void settling.add(value);
      value.then(join, join);
      return value;
    }
    const p = value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
    settling.add(p);
    return p;
  };

  const streamActor = (kind: StreamHandle['kind']) =>
    fromCallback<EventObject, { connection: BackendConnection; lastEventId: string | undefined }>(
      ({ input, sendBack }) => {
        const handle: StreamHandle = {
          kind,
          at: clock.now(),
          connection: input.connection,
          lastEventId: input.lastEventId,
          stopped: false,
          send: (event) => {
            if (!handle.stopped) sendBack(event);
          },
        };
        streams.push(handle);
        return () => {
          handle.stopped = true;
        };
      },
    );

  const machine = backendSessionMachine.provide({
    actors: {
      connect: fromPromise<BackendConnection, ConnectInput>(({ input }) => {
        calls.push({ name: 'connect', at: clock.now(), input });
        const n = counts.connect++;
        const result = script.connect ? script.connect(n, input) : new FakeConnection();
        if (result instanceof FakeConnection) connections.push(result);
        return answer(result);
      }),
      initialize: fromPromise<SessionInfo, { connection: BackendConnection; backendId: string }>(({ input }) => {
        calls.push({ name: 'initialize', at: clock.now(), input });
        const n = counts.initialize++;
        const conn = input.connection as FakeConnection;
        return answer(script.initialize ? script.initialize(conn, n) : sessionFor(conn));
      }),
      serverDiscover: fromPromise<SessionInfo, { connection: BackendConnection; backendId: string }>(({ input }) => {
        calls.push({ name: 'serverDiscover', at: clock.now(), input });
        const n = counts.serverDiscover++;
        const conn = input.connection as FakeConnection;
        return answer(script.serverDiscover ? script.serverDiscover(conn, n) : modernSessionFor(conn));
      }),
      fetchLists: fromPromise<Partial<BackendLists>, { connection: BackendConnection; kinds: ListKind[] }>(
        ({ input }) => {
          calls.push({ name: 'fetchLists', at: clock.now(), input });
          const n = counts.fetchLists++;
          if (script.fetchLists) return answer(script.fetchLists(input.kinds, n));
          return answer(Object.fromEntries(input.kinds.map((k) => [k, []])));
        },
      ),
      holdConnection: fromCallback<EventObject, { connection: BackendConnection; backendId: string }>(({ input }) => {
        return () => {
          void input.connection.close();
        };
      }),
      notificationStream: streamActor('get'),
      listenStream: streamActor('listen'),
      terminate: fromPromise<void, { connection: BackendConnection; backendId: string }>(({ input }) => {
        calls.push({ name: 'terminate', at: clock.now(), input });
        const done = input.connection.terminate(new AbortController().signal);
        settling.add(done);
        return done;
      }),
    },
  });

  const actor = createActor(machine, {
    clock,
    input: { backendId: 'b1', rng: seededRng(options.seed ?? 7), policy: options.policy },
  });
  for (const type of [
    'lists.changed',
    'lists.refreshFailed',
    'notification.ignored',
    'session.established',
    'circuit.opened',
  ] as const) {
    actor.on(type, (e) => emitted.push(e));
  }
  const errors: unknown[] = [];
  actor.subscribe({ error: (err) => errors.push(err) });

  /**
   * Wait until the machine has taken every effect answer that is on its way (promise actors answer on microtasks, not
   * on the clock), including the answers of effects those answers started. The first await lets a held answer the
   * test just settled join (its join callback was queued before this one).
   */
  const flush = async () => {
    await null;
    for (let round = 0; round < 1000; round++) {
      if (settling.size === 0) return;
      const batch = [...settling];
      // xstate's callbacks on these promises were registered before this wait's, so they have run when it ends.
      await Promise.allSettled(batch);
      for (const p of batch) settling.delete(p);
    }
    throw new Error('harness: effects kept answering for 1000 rounds');
  };

  const timers = () => (clock as unknown as { timeouts: Map<number, { start: number; timeout: number }> }).timeouts;

  /** Advance simulated time by `ms`, firing every timer due on the way in order, settling effects after each. */
  const advance = async (ms: number) => {
    const end = clock.now() + ms;
    await flush();
    for (let guard = 0; guard < 10_000; guard++) {
      let next = Number.POSITIVE_INFINITY;
      for (const t of timers().values()) next = Math.min(next, t.start + t.timeout);
      if (next > end) break;
      clock.set(next);
      await flush();
    }
    clock.set(end);
    await flush();
  };

  const start = async () => {
    actor.start();
    await flush();
  };

  const value = () => actor.getSnapshot().value;
  const ctx = () => actor.getSnapshot().context;
  const callsOf = (name: Call['name']) => calls.filter((c) => c.name === name);

  return { actor, clock, calls, callsOf, streams, emitted, connections, errors, flush, advance, start, value, ctx };
}
