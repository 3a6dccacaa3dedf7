// The session store in one process's memory (the default): records in a map, each with its place in the order of
// activity, the event log of memory-event-log.ts, and an in-process bus. At a cap the least recently active session
// with no POST or DELETE in progress makes room (the client's own first when it is the client's quota), so that nobody
// is refused while a slot is only held, not used; a session with no request for the idle timeout, and none open, is
// closed.
import type { GatewayConfig } from '../../api/gateway/config.ts';
import { EventBudget } from '../event-store.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { MemoryEventLog } from './memory-event-log.ts';
import type {
  ClientSessionRecord,
  ListChange,
  ParkedCallMessage,
  SessionAdmission,
  SessionBus,
  SessionEnd,
  SessionEviction,
  SessionLimits,
  SessionPatch,
  SessionSignal,
  SessionStore,
  SessionVisit,
  VisitKind,
} from './store.ts';

interface Entry {
  record: ClientSessionRecord;
  /** Requests in progress, open GET streams included: a session with one is never closed as idle. */
  inFlight: number;
  /** POST and DELETE requests in progress: a session with one is never evicted. */
  working: number;
  /** When a request of it last started or ended, in the store's order of activity: the least recently active is lowest. */
  touched: number;
}

export interface MemorySessionStoreOptions {
  limits: SessionLimits;
  /** The resumable-stream byte budget all sessions share. */
  eventBudget: EventBudget;
  /** Epoch milliseconds (default Date.now). */
  now?: () => number;
  /** How often idle sessions and expired events are looked for (default: half the idle timeout, at most a minute). */
  sweepMs?: number;
}

export class MemorySessionStore implements SessionStore {
  readonly events: MemoryEventLog;
  readonly bus = new MemoryBus();
  readonly #entries = new Map<string, Entry>();
  readonly #byClient = new Map<string, Map<string, Entry>>();
  readonly #limits: SessionLimits;
  readonly #now: () => number;
  readonly #ended = new Set<(id: string, why: SessionEnd) => void>();
  readonly #sweeper: NodeJS.Timeout;
  /** Counts requests starting and ending: each entry keeps the count of its last (`touched`). */
  #activity = 0;

  constructor(opts: MemorySessionStoreOptions) {
    this.#limits = opts.limits;
    this.#now = opts.now ?? Date.now;
    this.events = new MemoryEventLog(opts.eventBudget, (id) => this.#entries.has(id));
    this.#sweeper = setInterval(() => this.sweep(), opts.sweepMs ?? Math.min(60_000, opts.limits.idleTimeoutMs / 2));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  async create(record: ClientSessionRecord): Promise<SessionAdmission> {
    const { maxSessions, maxSessionsPerClient } = this.#limits;
    const evicted: SessionEviction[] = [];
    const own = this.#byClient.get(record.client);
    if ((own?.size ?? 0) >= maxSessionsPerClient) {
      const victim = own && oldestIdle(own.values());
      if (!victim) {
        const message = `Too many sessions for this client: all ${maxSessionsPerClient} allowed are busy; end one (DELETE) or try again later`;
        return { ok: false, refusal: { status: 429, reason: 'client-quota', message }, evicted };
      }
      evicted.push(this.#evict(victim, 'client-quota'));
    }
    if (this.#entries.size >= maxSessions) {
      const victim = oldestIdle(this.#entries.values());
      if (!victim) {
        const message = `Too many sessions: all ${maxSessions} this gateway allows are busy; try again later`;
        return { ok: false, refusal: { status: 503, reason: 'capacity', message }, evicted };
      }
      evicted.push(this.#evict(victim, 'capacity'));
    }
    const entry: Entry = { record, inFlight: 0, working: 0, touched: ++this.#activity };
    this.#entries.set(record.id, entry);
    const mine = this.#byClient.get(record.client) ?? new Map<string, Entry>();
    this.#byClient.set(record.client, mine);
    mine.set(record.id, entry);
    return { ok: true, evicted };
  }

  async get(id: string): Promise<ClientSessionRecord | undefined> {
    return this.#entries.get(id)?.record;
  }

  async visit(id: string, kind: VisitKind): Promise<SessionVisit | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    const working = kind === 'work';
    entry.inFlight++;
    if (working) entry.working++;
    this.#touch(entry);
    let left = false;
    return {
      record: entry.record,
      leave: () => {
        if (left) return;
        left = true;
        entry.inFlight--;
        if (working) entry.working--;
        this.#touch(entry);
      },
    };
  }

  async update(id: string, patch: SessionPatch): Promise<ClientSessionRecord | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    Object.assign(entry.record, patch);
    return entry.record;
  }

  async delete(id: string, why: SessionEnd = 'deleted'): Promise<boolean> {
    return this.#end(id, why);
  }

  onEnded(listener: (id: string, why: SessionEnd) => void): () => void {
    this.#ended.add(listener);
    return () => this.#ended.delete(listener);
  }

  async count(): Promise<number> {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  /** Close idle sessions and drop expired events (runs on a timer; callable by tests). */
  sweep(): void {
    this.events.expire();
    const now = this.#now();
    for (const entry of [...this.#entries.values()]) {
      if (entry.inFlight === 0 && now - entry.record.lastSeen > this.#limits.idleTimeoutMs) {
        this.#end(entry.record.id, 'idle');
      }
    }
  }

  /**
   * A request of the session started or ended. Its place in the order of activity is a count, so that a request
   * moves nothing in the maps (a delete and a set in two maps, twice a request, would grow their hash tables per
   * call, and those tables live long enough to be promoted).
   */
  #touch(entry: Entry): void {
    entry.record.lastSeen = this.#now();
    entry.touched = ++this.#activity;
  }

  #evict(entry: Entry, reason: SessionEviction['reason']): SessionEviction {
    this.#end(entry.record.id, 'evicted');
    return { id: entry.record.id, client: entry.record.client, reason };
  }

  #end(id: string, why: SessionEnd): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    const own = this.#byClient.get(entry.record.client);
    own?.delete(id);
    if (own?.size === 0) this.#byClient.delete(entry.record.client);
    void this.events.dropSession(id);
    for (const listener of this.#ended) listener(id, why);
    return true;
  }
}

/** The default store: the config's session limits and resumable-stream budget, measured by the gateway's metrics. */
export function memorySessionStore(server: GatewayConfig['server'], metrics: GatewayMetrics): MemorySessionStore {
  const { resumableStreams } = server;
  const eventBudget = new EventBudget(
    {
      maxSessionBytes: resumableStreams.maxBytesPerSession,
      maxTotalBytes: resumableStreams.maxBytes,
      ttlMs: resumableStreams.ttlSeconds * 1000,
    },
    { onLoss: (reason) => metrics.eventStoreLost.inc({ reason }) },
  );
  metrics.measureEventStore(() => eventBudget.bytes);
  return new MemorySessionStore({
    limits: {
      idleTimeoutMs: server.sessionIdleTimeoutSeconds * 1000,
      maxSessions: server.maxSessions,
      maxSessionsPerClient: server.maxSessionsPerClient,
    },
    eventBudget,
  });
}

/** The least recently active session with no POST or DELETE in progress. */
function oldestIdle(entries: Iterable<Entry>): Entry | undefined {
  let oldest: Entry | undefined;
  for (const e of entries) if (e.working === 0 && (!oldest || e.touched < oldest.touched)) oldest = e;
  return oldest;
}

/** The bus within one process: delivered synchronously to every subscriber. */
export class MemoryBus implements SessionBus {
  readonly #listeners = new Set<(signal: SessionSignal) => void>();
  readonly #receivers = new Map<string, (ref: string, message: ParkedCallMessage) => void>();
  /** The last digest published per list kind: a change to the same list is no change. */
  readonly #digests = new Map<ListChange['kind'], string>();

  async publish(signal: Parameters<SessionBus['publish']>[0]): Promise<void> {
    if (signal.type !== 'lists-changed') return this.#deliver(signal);
    const kinds: ListChange['kind'][] = [];
    for (const { kind, digest } of signal.changes) {
      if (this.#digests.get(kind) === digest) continue;
      this.#digests.set(kind, digest);
      kinds.push(kind);
    }
    if (kinds.length > 0) this.#deliver({ type: 'lists-changed', kinds });
  }

  subscribe(listener: (signal: SessionSignal) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async sendTo(address: string, ref: string, message: ParkedCallMessage): Promise<boolean> {
    const receiver = this.#receivers.get(address);
    receiver?.(ref, message);
    return receiver !== undefined;
  }

  receive(address: string, listener: (ref: string, message: ParkedCallMessage) => void): () => void {
    this.#receivers.set(address, listener);
    return () => {
      if (this.#receivers.get(address) === listener) this.#receivers.delete(address);
    };
  }

  #deliver(signal: SessionSignal): void {
    for (const listener of this.#listeners) listener(signal);
  }
}
