// The session store on Redis: every replica reads and writes the same records, event logs and bus, so a client
// session continues on whichever replica its next request reaches. A record is a hash of JSON values (one per field,
// so an update writes only what changed) that expires after the idle timeout; a request's start and end refresh it,
// and while this replica holds a request or stream of the session it refreshes it on a timer. Admission against the
// caps, visits and updates are scripts (redis-scripts.ts): atomic across replicas, one round trip each.
//
// When Redis cannot be reached, a new session is refused (503, saying why) because its record would not be durable;
// a session this replica has served keeps working from the copy it holds, until something needs the store (another
// replica, a resume of a stream). Sessions that expire in Redis are noticed by the timer, ended elsewhere by the bus.
import type { Logger } from 'pino';
import { fingerprint } from '../../actors/mcp/log.ts';
import type { RedisConnection } from '../../runtime/redis-connection.ts';
import type { EventLoss, EventStoreLimits } from '../event-store.ts';
import { RedisBus } from './redis-bus.ts';
import { RedisEventLog } from './redis-event-log.ts';
import { CREATE_SESSION, DELETE_SESSION, LEAVE, runScript, UPDATE, VISIT } from './redis-scripts.ts';
import type {
  ClientSessionRecord,
  SessionAdmission,
  SessionEnd,
  SessionEviction,
  SessionLimits,
  SessionPatch,
  SessionStore,
  SessionVisit,
  VisitKind,
} from './store.ts';
import { SessionStoreUnavailableError } from './store-unavailable.ts';

export interface RedisSessionStoreOptions {
  connection: RedisConnection;
  limits: SessionLimits;
  /** The resumable-stream limits: bytes per session and the TTL of an event. */
  eventLimits: Pick<EventStoreLimits, 'maxSessionBytes' | 'ttlMs'>;
  logger: Logger;
  /** Key prefix, so that several gateways (or tests) can share one Redis database. */
  prefix?: string;
  /** Epoch milliseconds (default Date.now). */
  now?: () => number;
  /** How often records of open requests are refreshed and expired ones looked for (default: a third of the idle timeout, at most 20 s). */
  keepAliveMs?: number;
  onEventLoss?: (reason: EventLoss, count: number) => void;
}

interface Held {
  record: ClientSessionRecord;
  /** Requests of this replica in progress. */
  open: number;
  /** Of which POST/DELETE. */
  working: number;
}

/** Record fields as hash fields, each value JSON. */
function toHash(record: Partial<ClientSessionRecord>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out.push(k, JSON.stringify(v));
  return out;
}

function fromHash(flat: unknown): ClientSessionRecord | undefined {
  if (!Array.isArray(flat) || flat.length === 0) return undefined;
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = JSON.parse(flat[i + 1] as string);
  return record as unknown as ClientSessionRecord;
}

export class RedisSessionStore implements SessionStore {
  readonly events: RedisEventLog;
  readonly bus: RedisBus;
  readonly #o: RedisSessionStoreOptions;
  readonly #prefix: string;
  readonly #now: () => number;
  /** Sessions this replica served, least recently used first; bounded by the gateway's session cap. */
  readonly #held = new Map<string, Held>();
  readonly #ended = new Set<(id: string, why: SessionEnd) => void>();
  /** Sessions whose end the listeners were told of, oldest first (bounded). */
  readonly #endedRecently = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  readonly #workTtlMs: number;

  constructor(opts: RedisSessionStoreOptions) {
    this.#o = opts;
    this.#prefix = opts.prefix ?? 'mcpre:';
    this.#now = opts.now ?? Date.now;
    const keepAliveMs = opts.keepAliveMs ?? Math.min(20_000, opts.limits.idleTimeoutMs / 3);
    this.#workTtlMs = keepAliveMs * 3;
    this.events = new RedisEventLog({
      client: () => opts.connection.client,
      logger: opts.logger,
      describe: (err) => opts.connection.describe(err),
      unavailable: (err) =>
        new SessionStoreUnavailableError(opts.connection.state().reason ?? opts.connection.describe(err)),
      prefix: this.#prefix,
      limits: opts.eventLimits,
      now: this.#now,
      ...(opts.onEventLoss ? { onLoss: opts.onEventLoss } : {}),
    });
    this.bus = new RedisBus({
      connection: opts.connection,
      prefix: this.#prefix,
      logger: opts.logger,
      onEnded: (id, why) => this.#forget(id, why),
    });
    this.#timer = setInterval(() => void this.keepAlive(), keepAliveMs);
    this.#timer.unref();
  }

  get #client() {
    return this.#o.connection.client;
  }

  async create(record: ClientSessionRecord): Promise<SessionAdmission> {
    const { maxSessions, maxSessionsPerClient, idleTimeoutMs } = this.#o.limits;
    let reply: string[];
    try {
      reply = (await runScript(
        this.#client,
        CREATE_SESSION,
        [],
        [
          this.#prefix,
          record.id,
          record.client,
          record.lastSeen,
          idleTimeoutMs,
          maxSessions,
          maxSessionsPerClient,
          ...toHash(record),
        ],
      )) as string[];
    } catch (err) {
      const why = this.#o.connection.state().reason ?? this.#o.connection.describe(err);
      this.#o.logger.warn({ reason: why }, 'new client session refused: the session store is unavailable');
      return {
        ok: false,
        refusal: {
          status: 503,
          reason: 'store-unavailable',
          message: 'Cannot open a session now: the session store is unavailable; try again later',
        },
        evicted: [],
      };
    }
    const evicted: SessionEviction[] = [];
    for (let i = 1; i + 2 < reply.length; i += 3) {
      evicted.push({
        id: reply[i] as string,
        client: reply[i + 1] as string,
        reason: reply[i + 2] as SessionEviction['reason'],
      });
    }
    const status = reply[0];
    if (status === 'client-quota') {
      const message = `Too many sessions for this client: all ${maxSessionsPerClient} allowed are busy; end one (DELETE) or try again later`;
      return { ok: false, refusal: { status: 429, reason: 'client-quota', message }, evicted };
    }
    if (status === 'capacity') {
      const message = `Too many sessions: all ${maxSessions} this gateway allows are busy; try again later`;
      return { ok: false, refusal: { status: 503, reason: 'capacity', message }, evicted };
    }
    this.#hold(record);
    return { ok: true, evicted };
  }

  async get(id: string): Promise<ClientSessionRecord | undefined> {
    try {
      const record = fromHash(await this.#client.hGetAll(`${this.#prefix}s:${id}`).then(flatten));
      if (record) this.#hold(record);
      return record;
    } catch (err) {
      return this.#fromCache(id, err);
    }
  }

  async visit(id: string, kind: VisitKind): Promise<SessionVisit | undefined> {
    const now = this.#now();
    const work = kind === 'work' ? 1 : 0;
    let record: ClientSessionRecord | undefined;
    try {
      const args = [this.#prefix, id, now, this.#o.limits.idleTimeoutMs, work, this.#workTtlMs];
      record = fromHash(await runScript(this.#client, VISIT, [], args));
    } catch (err) {
      record = this.#fromCache(id, err);
    }
    if (!record) return undefined;
    record.lastSeen = now;
    const held = this.#hold(record);
    held.open++;
    held.working += work;
    let left = false;
    return {
      record,
      leave: () => {
        if (left) return;
        left = true;
        held.open--;
        held.working -= work;
        // Nothing waits for this: the response is already written.
        const args = [this.#prefix, id, this.#now(), this.#o.limits.idleTimeoutMs, work];
        runScript(this.#client, LEAVE, [], args).catch((err: unknown) =>
          this.#o.logger.debug(
            { session: fingerprint(id), err: this.#o.connection.describe(err) },
            'session store: recording the end of a request failed',
          ),
        );
      },
    };
  }

  async update(id: string, patch: SessionPatch): Promise<ClientSessionRecord | undefined> {
    const fields = toHash(patch);
    try {
      const record = fromHash(await runScript(this.#client, UPDATE, [], [this.#prefix, id, ...fields]));
      if (record) this.#hold(record);
      return record;
    } catch (err) {
      const cached = this.#fromCache(id, err);
      Object.assign(cached, patch);
      return cached;
    }
  }

  async delete(id: string, why: SessionEnd = 'deleted'): Promise<boolean> {
    const existed = await runScript(this.#client, DELETE_SESSION, [], [this.#prefix, id, why]).then(
      (n) => n === 1,
      (err: unknown) => {
        throw new SessionStoreUnavailableError(this.#o.connection.state().reason ?? this.#o.connection.describe(err));
      },
    );
    // The bus tells every replica, this one included; forgetting now as well keeps a local answer consistent.
    this.#forget(id, why);
    return existed;
  }

  onEnded(listener: (id: string, why: SessionEnd) => void): () => void {
    this.#ended.add(listener);
    return () => this.#ended.delete(listener);
  }

  /** Never fails (a gauge reads it): while Redis is away, the sessions this replica holds. */
  async count(): Promise<number> {
    return this.#client.zCard(`${this.#prefix}all`).catch(() => this.#held.size);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#held.clear();
  }

  /**
   * Refresh the records (and in-progress marks) of the sessions this replica has requests of, and forget the held
   * sessions whose records expired. One pipeline; runs on the timer, callable by tests.
   */
  async keepAlive(): Promise<void> {
    if (!this.#o.connection.state().ready || this.#held.size === 0) return;
    // What was open when the pipeline was sent: its replies follow this plan, whatever changes while it runs.
    const plan = [...this.#held].map(([id, h]) => ({
      id,
      client: h.record.client,
      open: h.open > 0,
      working: h.working > 0,
    }));
    const { idleTimeoutMs } = this.#o.limits;
    const batch = this.#client.multi();
    for (const { id, client, open, working } of plan) {
      if (open) {
        batch.pExpire(`${this.#prefix}s:${id}`, idleTimeoutMs);
        batch.pExpire(`${this.#prefix}c:${client}`, idleTimeoutMs);
        batch.pExpire(`${this.#prefix}all`, idleTimeoutMs);
      }
      if (working) batch.pExpire(`${this.#prefix}w:${id}`, this.#workTtlMs);
      batch.exists(`${this.#prefix}s:${id}`);
    }
    let replies: unknown[];
    try {
      replies = (await batch.execAsPipeline()) as unknown[];
    } catch (err) {
      this.#o.logger.debug({ err: this.#o.connection.describe(err) }, 'session store: keep-alive failed');
      return;
    }
    let i = 0;
    for (const { id, open, working } of plan) {
      i += (open ? 3 : 0) + (working ? 1 : 0);
      if (replies[i++] === 0 && !open) this.#forget(id, 'idle');
    }
  }

  #hold(record: ClientSessionRecord): Held {
    const held = this.#held.get(record.id);
    this.#held.delete(record.id);
    const next = held ? Object.assign(held, { record }) : { record, open: 0, working: 0 };
    this.#held.set(record.id, next);
    // Bounded: the least recently used session with no request in progress goes first.
    if (this.#held.size > this.#o.limits.maxSessions) {
      for (const [id, h] of this.#held) {
        if (h.open === 0) {
          this.#held.delete(id);
          break;
        }
      }
    }
    return next;
  }

  /** The held copy when Redis cannot be reached; rethrows when this replica has none. */
  #fromCache(id: string, err: unknown): ClientSessionRecord {
    const held = this.#held.get(id);
    if (!held)
      throw new SessionStoreUnavailableError(this.#o.connection.state().reason ?? this.#o.connection.describe(err));
    this.#o.logger.debug(
      { session: fingerprint(id) },
      'session store unreachable: serving the session from this replica',
    );
    return held.record;
  }

  /** Tell the listeners once per session, however many ways its end is learnt (the delete, the bus, the timer). */
  #forget(id: string, why: SessionEnd): void {
    this.#held.delete(id);
    if (this.#endedRecently.has(id)) return;
    this.#endedRecently.add(id);
    if (this.#endedRecently.size > 4096)
      this.#endedRecently.delete(this.#endedRecently.values().next().value as string);
    for (const listener of this.#ended) listener(id, why);
  }
}

/** node-redis answers HGETALL with an object; the scripts answer with the flat array. */
function flatten(obj: Record<string, string>): string[] {
  return Object.entries(obj).flat();
}
