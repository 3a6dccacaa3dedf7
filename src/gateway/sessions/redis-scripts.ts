// The Lua scripts of the Redis session store: each change that reads before it writes (admission against the caps,
// a visit, the event log's bookkeeping, the list-change digests) runs as one script, so it is atomic across replicas
// and costs one round trip. Scripts are sent by their SHA1 and loaded on the first NOSCRIPT.
//
// Keys, under a prefix (default `mcpre:`): `s:ID` the session record (a hash: one JSON value per field), `w:ID` the
// session's POST/DELETE requests in progress (a counter with a TTL, so a replica that dies mid-request cannot pin a
// session), `all` and `c:CLIENT` the sessions by last activity (sorted sets, for eviction and the count), `em:ID` and
// `ev:ID` the session's event log (a hash of per-stream bookkeeping, a sorted set of events by sequence number),
// `d:KIND` the digest of the last announced list, and the pub/sub channel `bus`. Every key but the digests has a TTL,
// refreshed by use: a gateway that stops leaves nothing behind for long. The store is a standalone Redis (or a
// primary with replicas): the scripts touch keys they compute, which Redis Cluster does not allow.
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../runtime/redis-connection.ts';

const END_SESSION = `
local function endSession(p, id, why)
  local client = redis.call('HGET', p..'s:'..id, 'client')
  local existed = redis.call('DEL', p..'s:'..id) == 1
  redis.call('DEL', p..'w:'..id, p..'em:'..id, p..'ev:'..id)
  redis.call('ZREM', p..'all', id)
  if client then redis.call('ZREM', p..'c:'..cjson.decode(client), id) end
  if existed then redis.call('PUBLISH', p..'bus', cjson.encode({type='ended', id=id, why=why})) end
  return existed
end
`;

/** ARGV: prefix, id, why. Returns 1 when the session existed. */
export const DELETE_SESSION = `${END_SESSION}
return endSession(ARGV[1], ARGV[2], ARGV[3]) and 1 or 0
`;

/**
 * ARGV: prefix, id, client, now, ttlMs, maxSessions, maxSessionsPerClient, then the record's field/value pairs.
 * Returns {status, evicted id, client, reason, ...}; status 'ok', 'client-quota' or 'capacity'.
 */
export const CREATE_SESSION = `${END_SESSION}
local p, id, client = ARGV[1], ARGV[2], ARGV[3]
local now, ttl, maxAll, maxOwn = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local all, own = p..'all', p..'c:'..client
local out = {'ok'}
local function prune(z)
  for _, sid in ipairs(redis.call('ZRANGE', z, 0, -1)) do
    if redis.call('EXISTS', p..'s:'..sid) == 0 then redis.call('ZREM', z, sid) end
  end
  return redis.call('ZCARD', z)
end
local function oldestIdle(z)
  for _, sid in ipairs(redis.call('ZRANGE', z, 0, -1)) do
    if redis.call('EXISTS', p..'w:'..sid) == 0 then return sid end
  end
  return nil
end
local function makeRoom(z, cap, reason)
  if redis.call('ZCARD', z) < cap or prune(z) < cap then return true end
  local victim = oldestIdle(z)
  if not victim then return false end
  local vclient = redis.call('HGET', p..'s:'..victim, 'client')
  endSession(p, victim, 'evicted')
  table.insert(out, victim)
  table.insert(out, vclient and cjson.decode(vclient) or '')
  table.insert(out, reason)
  return true
end
if not makeRoom(own, maxOwn, 'client-quota') then out[1] = 'client-quota' return out end
if not makeRoom(all, maxAll, 'capacity') then out[1] = 'capacity' return out end
redis.call('HSET', p..'s:'..id, unpack(ARGV, 8))
redis.call('PEXPIRE', p..'s:'..id, ttl)
redis.call('ZADD', all, now, id)
redis.call('ZADD', own, now, id)
-- The indexes live as long as their most recently active session can.
redis.call('PEXPIRE', all, ttl)
redis.call('PEXPIRE', own, ttl)
return out
`;

/** ARGV: prefix, id, now, ttlMs, work (1/0), workTtlMs. Returns the record's hash (flat) or nil. */
export const VISIT = `
local p, id, now = ARGV[1], ARGV[2], ARGV[3]
local key = p..'s:'..id
local rec = redis.call('HGETALL', key)
if #rec == 0 then return nil end
redis.call('PEXPIRE', key, ARGV[4])
redis.call('HSET', key, 'lastSeen', now)
local own = p..'c:'..cjson.decode(redis.call('HGET', key, 'client'))
redis.call('ZADD', p..'all', 'XX', now, id)
redis.call('ZADD', own, 'XX', now, id)
redis.call('PEXPIRE', p..'all', ARGV[4])
redis.call('PEXPIRE', own, ARGV[4])
if ARGV[5] == '1' then
  redis.call('INCR', p..'w:'..id)
  redis.call('PEXPIRE', p..'w:'..id, ARGV[6])
end
return rec
`;

/** ARGV: prefix, id, now, ttlMs, work (1/0). The end of a request: activity, and one fewer in progress. */
export const LEAVE = `
local p, id, now = ARGV[1], ARGV[2], ARGV[3]
local key = p..'s:'..id
if ARGV[5] == '1' and redis.call('DECR', p..'w:'..id) <= 0 then redis.call('DEL', p..'w:'..id) end
local client = redis.call('HGET', key, 'client')
if not client then return 0 end
redis.call('PEXPIRE', key, ARGV[4])
redis.call('HSET', key, 'lastSeen', now)
local own = p..'c:'..cjson.decode(client)
redis.call('ZADD', p..'all', 'XX', now, id)
redis.call('ZADD', own, 'XX', now, id)
redis.call('PEXPIRE', p..'all', ARGV[4])
redis.call('PEXPIRE', own, ARGV[4])
return 1
`;

/** ARGV: prefix, id, then field/value pairs. Returns the updated record's hash (flat) or nil. */
export const UPDATE = `
local key = ARGV[1]..'s:'..ARGV[2]
if redis.call('EXISTS', key) == 0 then return nil end
redis.call('HSET', key, unpack(ARGV, 3))
return redis.call('HGETALL', key)
`;

/**
 * ARGV: prefix, then kind/digest pairs. Stores each digest that differs from the stored one and publishes one
 * lists-changed signal naming those kinds (none: nothing is published). Returns the number of kinds published.
 */
export const LISTS_CHANGED = `
local p = ARGV[1]
local kinds = {}
for i = 2, #ARGV, 2 do
  local key = p..'d:'..ARGV[i]
  if redis.call('GET', key) ~= ARGV[i + 1] then
    redis.call('SET', key, ARGV[i + 1])
    table.insert(kinds, ARGV[i])
  end
end
if #kinds > 0 then redis.call('PUBLISH', p..'bus', cjson.encode({type='lists-changed', kinds=kinds})) end
return #kinds
`;

const shas = new Map<string, string>();

/** Runs a script by its SHA1, loading it on the first NOSCRIPT. */
export async function runScript(
  client: RedisClient,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
) {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  const options = { keys: [...keys], arguments: args.map(String) };
  try {
    return await client.evalSha(sha, options);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.eval(script, options);
  }
}
