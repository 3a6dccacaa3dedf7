// The session event log in Redis, so that a client resumes a stream with `Last-Event-ID` on whichever replica it
// reaches. The rules are event-store.ts's (what is kept, for how long, when a resume is refused); here each session has
// a hash of per-stream bookkeeping (`em:ID`: the sequence counter, bytes held, and per stream the sequence number up
// to which events were lost, whether its response was sent, how many events it holds) and a sorted set of events by
// sequence number (`ev:ID`; a member is "seq, time, stream, message"). Every operation is one script: atomic, one round
// trip. Bounds: the session's byte limit (oldest events go first, and their streams can no longer be resumed from
// before them), the TTL per event, and both keys expire a TTL after the last event. Redis's `maxmemory` bounds the
// total (docs/operations.md).
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { fingerprint } from '../../actors/mcp/log.ts';
import type { RedisClient } from '../../runtime/redis-connection.ts';
import { EVENT_OVERHEAD_BYTES, type EventLoss, type EventStoreLimits } from '../event-store.ts';
import { runScript } from './redis-scripts.ts';
import { type SessionEventLog, STANDALONE_STREAM, type StoredStreamEvent } from './store.ts';

// Shared by the scripts below. A member is "seq\ntime\nstream\nmessage"; stream ids never hold a newline.
const COMMON = `
local meta, ev = KEYS[1], KEYS[2]
local overhead = tonumber(ARGV[1])
local standalone = ARGV[2]
local function parse(member)
  local a = string.find(member, '\\n', 1, true)
  local b = string.find(member, '\\n', a + 1, true)
  local c = string.find(member, '\\n', b + 1, true)
  return tonumber(string.sub(member, 1, a - 1)), tonumber(string.sub(member, a + 1, b - 1)),
    string.sub(member, b + 1, c - 1), string.sub(member, c + 1), #member - c + overhead
end
-- Drop a stream's events up to seq; lost: the client may not have them, so no resume from before them.
local function dropThrough(s, seq, lost)
  local upTo = seq == math.huge and '+inf' or seq
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', ev, '-inf', upTo)) do
    local _, _, ms, _, bytes = parse(m)
    if ms == s then
      redis.call('ZREM', ev, m)
      redis.call('HINCRBY', meta, 'bytes', -bytes)
      redis.call('HINCRBY', meta, 'n:'..s, -1)
    end
  end
  if lost and seq ~= math.huge then
    local l = tonumber(redis.call('HGET', meta, 'l:'..s) or '0')
    if seq > l then redis.call('HSET', meta, 'l:'..s, seq) end
  end
  local n = tonumber(redis.call('HGET', meta, 'n:'..s) or '0')
  local answered = redis.call('HEXISTS', meta, 'a:'..s) == 1
  if seq == math.huge or (n <= 0 and (answered or (lost and s ~= standalone))) then
    redis.call('HDEL', meta, 'l:'..s, 'a:'..s, 'n:'..s)
  end
end
-- Lose the oldest events while they are older than the TTL; returns how many.
local function expire(now, ttl)
  local lost = 0
  while true do
    local oldest = redis.call('ZRANGE', ev, 0, 0)[1]
    if not oldest then return lost end
    local seq, at, s = parse(oldest)
    if now - at < ttl then return lost end
    dropThrough(s, seq, true)
    lost = lost + 1
  end
end
`;

/**
 * KEYS: the two above and the session's record. ARGV: overhead, standalone, stream, message, final (1/0), maxBytes,
 * ttlMs, now. Returns {seq, ttl lost, limit lost, too large}.
 */
const APPEND = `${COMMON}
local s, msg, final = ARGV[3], ARGV[4], ARGV[5] == '1'
local maxBytes, ttl, now = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
-- A session that ended (a call finishing after its DELETE) keeps nothing: sequence 0 is an id no resume accepts.
if redis.call('EXISTS', KEYS[3]) == 0 then return {0, 0, 0, 0} end
local expired = expire(now, ttl)
local seq = redis.call('HINCRBY', meta, 'seq', 1)
if redis.call('HEXISTS', meta, 'l:'..s) == 0 then redis.call('HSET', meta, 'l:'..s, seq - 1, 'n:'..s, 0) end
if final and s ~= standalone then redis.call('HSET', meta, 'a:'..s, 1) end
local size = #msg + overhead
local limited, tooLarge = 0, 0
if size > maxBytes then
  dropThrough(s, seq, true)
  tooLarge = 1
else
  redis.call('ZADD', ev, seq, seq..'\\n'..now..'\\n'..s..'\\n'..msg)
  redis.call('HINCRBY', meta, 'n:'..s, 1)
  local total = redis.call('HINCRBY', meta, 'bytes', size)
  while total > maxBytes do
    local oseq, _, os = parse(redis.call('ZRANGE', ev, 0, 0)[1])
    dropThrough(os, oseq, true)
    limited = limited + 1
    total = tonumber(redis.call('HGET', meta, 'bytes'))
  end
end
redis.call('PEXPIRE', meta, ttl)
redis.call('PEXPIRE', ev, ttl)
return {seq, expired, limited, tooLarge}
`;

/**
 * ARGV: overhead, standalone, stream, seq, ttlMs, now. Acknowledges the stream up to seq and returns {expired, stream,
 * id1, message1, ...}; {expired} alone when the resume is refused.
 */
const REPLAY = `${COMMON}
local s, seq, ttl, now = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local expired = expire(now, ttl)
local l = redis.call('HGET', meta, 'l:'..s)
if seq > tonumber(redis.call('HGET', meta, 'seq') or '0') or not l or seq < tonumber(l) then return {expired} end
dropThrough(s, seq, false)
local out = {expired, s}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', ev, '('..seq, '+inf')) do
  local mseq, _, ms, msg = parse(m)
  if ms == s then
    table.insert(out, s..'.'..mseq)
    table.insert(out, msg)
  end
end
return out
`;

/** ARGV: overhead, standalone, stream. Forgets the stream when its response was sent or it is the standalone one. */
const DROP_STREAM = `${COMMON}
local s = ARGV[3]
if s == standalone or redis.call('HEXISTS', meta, 'a:'..s) == 1 then dropThrough(s, math.huge, false) end
return 0
`;

export interface RedisEventLogOptions {
  /** The connection's client of the moment (it is replaced when renewed TLS files are taken up). */
  client: () => RedisClient;
  logger: Logger;
  /** A client error as text for a log line, without the password (RedisConnection.describe). */
  describe: (err: unknown) => string;
  /** The error a resume gets when Redis cannot be reached. */
  unavailable: (err: unknown) => Error;
  prefix: string;
  limits: Pick<EventStoreLimits, 'maxSessionBytes' | 'ttlMs'>;
  now: () => number;
  onLoss?: (reason: EventLoss, count: number) => void;
}

export class RedisEventLog implements SessionEventLog {
  readonly #o: RedisEventLogOptions;

  constructor(opts: RedisEventLogOptions) {
    this.#o = opts;
  }

  #keys(session: string): string[] {
    return [`${this.#o.prefix}em:${session}`, `${this.#o.prefix}ev:${session}`];
  }

  #run(script: string, keys: string | string[], args: (string | number)[]) {
    const all = typeof keys === 'string' ? this.#keys(keys) : keys;
    return runScript(this.#o.client(), script, all, [EVENT_OVERHEAD_BYTES, STANDALONE_STREAM, ...args]);
  }

  #lost(reason: EventLoss, count: unknown): void {
    if (typeof count === 'number' && count > 0) this.#o.onLoss?.(reason, count);
  }

  async append(session: string, stream: string, message: JSONRPCMessage, final?: boolean): Promise<string> {
    if (stream.includes('\n')) throw new Error('a stream id may not contain a newline');
    const isFinal = final ?? ('id' in message && ('result' in message || 'error' in message));
    const { maxSessionBytes, ttlMs } = this.#o.limits;
    const keys = [...this.#keys(session), `${this.#o.prefix}s:${session}`];
    const reply = (await this.#run(APPEND, keys, [
      stream,
      JSON.stringify(message),
      isFinal ? 1 : 0,
      maxSessionBytes,
      ttlMs,
      this.#o.now(),
    ])) as number[];
    this.#lost('ttl', reply[1]);
    this.#lost('session-limit', reply[2]);
    this.#lost('too-large', reply[3]);
    return `${stream}.${reply[0]}`;
  }

  async replay(session: string, lastEventId: string) {
    const dot = lastEventId.lastIndexOf('.');
    const seq = Number(lastEventId.slice(dot + 1));
    if (dot <= 0 || !Number.isSafeInteger(seq) || seq <= 0) return undefined;
    const stream = lastEventId.slice(0, dot);
    const args = [stream, seq, this.#o.limits.ttlMs, this.#o.now()];
    const reply = (await this.#run(REPLAY, session, args).catch((err: unknown) => {
      throw this.#o.unavailable(err);
    })) as [number, string?, ...string[]];
    this.#lost('ttl', reply[0]);
    if (reply.length < 2) return undefined;
    const events: StoredStreamEvent[] = [];
    for (let i = 2; i + 1 < reply.length; i += 2) {
      events.push({ id: reply[i] as string, message: JSON.parse(reply[i + 1] as string) as JSONRPCMessage });
    }
    return { stream: reply[1] as string, events };
  }

  // The two below never fail: their callers do not wait for them, and what they would drop expires anyway.

  async dropStream(session: string, stream: string): Promise<void> {
    await this.#run(DROP_STREAM, session, [stream]).catch((err: unknown) => this.#notDropped(session, err));
  }

  async dropSession(session: string): Promise<void> {
    await this.#o
      .client()
      .del(this.#keys(session))
      .catch((err: unknown) => this.#notDropped(session, err));
  }

  #notDropped(session: string, err: unknown): void {
    this.#o.logger.debug(
      { session: fingerprint(session), err: this.#o.describe(err) },
      'session store: dropping events failed; they expire by TTL',
    );
  }
}
