/**
 * The Lua scripts of the Redis store. Each store operation is exactly one
 * script (EVALSHA via ioredis `defineCommand`), so Redis runs its reads and
 * writes with nothing in between: no read-modify-write race between gateway
 * instances.
 *
 * Layout under the prefix P (all relative TTLs, see redis.ts):
 * - `P b:<key>|<tag>|<bucket>`: a hash `{ s: spent, r: reserved }`, expiring
 *   a grace period after its bucket leaves the window;
 * - `P z:<key>|<tag>`: the counter's live reservations, a sorted set of
 *   `<bucket>:<id>:<amount>` scored by expiry, living at least as long as
 *   any bucket it holds amounts in (so an expiry is never lost);
 * - `P idx`: a hash `<key>|<tag>` → `<kind>:<limit>` listing the counters;
 * - `P seq`: reservation ids.
 *
 * Numbers cross into Lua as strings and are formatted back with `%d`, so
 * epoch-millisecond buckets never turn into `1.7e+12`; amounts are negated
 * by prefixing `-` (never `-0`, which HINCRBY refuses).
 */

/** Shared helpers, prepended to every counter script. `P` and `now` are ARGV[1] and ARGV[2]. */
const PRELUDE = `
local P = ARGV[1]
local now = tonumber(ARGV[2])

local function fmt(n) return string.format('%d', n) end

-- Releases the counter's reservations that expired at or before now; returns how many.
local function expire(ck)
  local z = P .. 'z:' .. ck
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[2])
  if #gone == 0 then return 0 end
  for i = 1, #gone do
    local b, amt = string.match(gone[i], '^([^:]+):[^:]+:([^:]+)$')
    local bk = P .. 'b:' .. ck .. '|' .. b
    if amt ~= '0' and redis.call('EXISTS', bk) == 1 then redis.call('HINCRBY', bk, 'r', '-' .. amt) end
  end
  redis.call('ZREMRANGEBYSCORE', z, '-inf', ARGV[2])
  return #gone
end

-- Spent, reserved and the oldest non-empty bucket (or false) over buckets lo..cur.
local function totals(ck, lo, cur)
  local spent, reserved, oldest = 0, 0, false
  for j = lo, cur do
    local v = redis.call('HMGET', P .. 'b:' .. ck .. '|' .. fmt(j), 's', 'r')
    local s = tonumber(v[1]) or 0
    local r = tonumber(v[2]) or 0
    spent = spent + s
    reserved = reserved + r
    if oldest == false and (s > 0 or r > 0) then oldest = j end
  end
  return spent, reserved, oldest
end

-- The reset time: when the oldest counted non-empty bucket leaves a rolling window, else the current bucket's drop time.
local function reset(oldest, step, len, curDrop)
  if step > 0 and oldest ~= false then return (oldest + 1) * step + len end
  return curDrop
end
`;

/**
 * admit: ARGV = P, now, n, then per check 12 fields: kind (`r`|`t`), ck,
 * lo, cur, step, len, curDrop, curTtl, amount, limit, expiresAt, zTtl (the
 * reservation set's TTL: `max(expiresAt, curDrop) − now + grace`).
 * Returns `[admitted, then per check: fits, spent, reserved, resetAt, id]`.
 */
export const ADMIT = `${PRELUDE}
local n = tonumber(ARGV[3])
local W = 12
local found = {}
local all = 1
for i = 1, n do
  local a = 3 + (i - 1) * W
  local ck = ARGV[a + 2]
  expire(ck)
  local s, r, o = totals(ck, tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]))
  local fits = (s + r + tonumber(ARGV[a + 9]) <= tonumber(ARGV[a + 10])) and 1 or 0
  if fits == 0 then all = 0 end
  found[i] = { s, r, o, fits }
end
local out = { all }
for i = 1, n do
  local a = 3 + (i - 1) * W
  local kind, ck, cur = ARGV[a + 1], ARGV[a + 2], ARGV[a + 4]
  local step, len, curDrop = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7])
  local amount = tonumber(ARGV[a + 9])
  local s, r, o, fits = found[i][1], found[i][2], found[i][3], found[i][4]
  local id = 0
  if all == 1 then
    local bk = P .. 'b:' .. ck .. '|' .. cur
    if kind == 't' then
      redis.call('HINCRBY', bk, 's', ARGV[a + 9])
      s = s + amount
    else
      redis.call('HINCRBY', bk, 'r', ARGV[a + 9])
      r = r + amount
      id = redis.call('INCR', P .. 'seq')
      local z = P .. 'z:' .. ck
      redis.call('ZADD', z, ARGV[a + 11], cur .. ':' .. id .. ':' .. ARGV[a + 9])
      local zttl = tonumber(ARGV[a + 12])
      if redis.call('PTTL', z) < zttl then redis.call('PEXPIRE', z, ARGV[a + 12]) end
    end
    redis.call('PEXPIRE', bk, ARGV[a + 8])
    redis.call('HSET', P .. 'idx', ck, (kind == 't' and 'limit:' or 'budget:') .. ARGV[a + 10])
    if o == false and amount > 0 then o = tonumber(cur) end
  end
  out[#out + 1] = fits
  out[#out + 1] = s
  out[#out + 1] = r
  out[#out + 1] = reset(o, step, len, curDrop)
  out[#out + 1] = id
end
return out
`;

/**
 * finish: ARGV = P, now, settlements, additions, then per settlement 6
 * fields: ck, bucket, member, amount, actual, bucketTtl; then per addition 4
 * fields: ck, cur, curTtl, amount. Returns, per settlement, 1 if the hold
 * was still held (not yet released by expiry).
 */
export const FINISH = `${PRELUDE}
local ns, na = tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 1, ns do
  local a = 4 + (i - 1) * 6
  local ck = ARGV[a + 1]
  local bk = P .. 'b:' .. ck .. '|' .. ARGV[a + 2]
  local held = redis.call('ZREM', P .. 'z:' .. ck, ARGV[a + 3])
  if held == 1 and ARGV[a + 4] ~= '0' and redis.call('EXISTS', bk) == 1 then redis.call('HINCRBY', bk, 'r', '-' .. ARGV[a + 4]) end
  redis.call('HINCRBY', bk, 's', ARGV[a + 5])
  redis.call('PEXPIRE', bk, ARGV[a + 6])
  out[i] = held
end
for i = 1, na do
  local a = 4 + ns * 6 + (i - 1) * 4
  local ck = ARGV[a + 1]
  local bk = P .. 'b:' .. ck .. '|' .. ARGV[a + 2]
  redis.call('HINCRBY', bk, 's', ARGV[a + 4])
  redis.call('PEXPIRE', bk, ARGV[a + 3])
  redis.call('HSETNX', P .. 'idx', ck, 'limit:0')
end
return out
`;

/** read: ARGV = P, now, n, then per counter: ck, lo, cur, step, len, curDrop. Returns `[spent, reserved, resetAt]` per counter. */
export const READ = `${PRELUDE}
local n = tonumber(ARGV[3])
local out = {}
for i = 1, n do
  local a = 3 + (i - 1) * 6
  local ck = ARGV[a + 1]
  expire(ck)
  local s, r, o = totals(ck, tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]))
  out[#out + 1] = s
  out[#out + 1] = r
  out[#out + 1] = reset(o, tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6]))
end
return out
`;

/**
 * sweep: ARGV = P, now, n, then per counter: ck, lo, cur. Releases expired reservations and forgets counters
 * with no bucket left in their window and no reservation. Returns the
 * number of reservations released.
 */
export const SWEEP = `${PRELUDE}
local n = tonumber(ARGV[3])
local released = 0
for i = 1, n do
  local a = 3 + (i - 1) * 3
  local ck = ARGV[a + 1]
  released = released + expire(ck)
  local alive = redis.call('EXISTS', P .. 'z:' .. ck) == 1
  local j, cur = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  while not alive and j <= cur do
    alive = redis.call('EXISTS', P .. 'b:' .. ck .. '|' .. fmt(j)) == 1
    j = j + 1
  end
  if not alive then redis.call('HDEL', P .. 'idx', ck) end
end
return released
`;

/**
 * Shared health (health.ts): ARGV = P, now, owner, count, then one JSON
 * news each. Mirrors `applyNews` (the conformance suite holds the two to
 * one behaviour); records live as JSON in the hash `P health`, one field
 * per (policy, target), and every record comes back.
 */
export const HEALTH = `
local h = ARGV[1] .. 'health'
local now = tonumber(ARGV[2])
local owner = ARGV[3]
for i = 1, tonumber(ARGV[4]) do
  local n = cjson.decode(ARGV[4 + i])
  local raw = redis.call('HGET', h, n.key)
  local r
  if raw then r = cjson.decode(raw) else
    r = { key = n.key, epoch = 0, ejected = false, ejectedAt = 0, ['until'] = 0, ejections = 0, cause = '', owner = '', lease = 0 }
  end
  local changed = false
  if n.op == 'eject' then
    if (not r.ejected) or n['until'] > r['until'] then
      r.epoch = r.epoch + 1
      r.ejected = true
      r.ejectedAt = n.ejectedAt
      r['until'] = n['until']
      r.ejections = math.max(r.ejections, n.ejections)
      r.cause = n.cause
      r.owner = ''
      r.lease = 0
      changed = true
    end
  elseif n.op == 'close' then
    if r.ejected and r.epoch == n.epoch then
      r.epoch = r.epoch + 1
      r.ejected = false
      r.owner = ''
      r.lease = 0
      changed = true
    end
  elseif n.op == 'claim' then
    if r.ejected and now >= r['until'] and (r.owner == owner or r.lease <= now) then
      r.owner = owner
      r.lease = now + n.holdMs
      changed = true
    end
  elseif n.op == 'release' then
    if r.owner == owner then
      r.owner = ''
      r.lease = 0
      changed = true
    end
  end
  if changed then redis.call('HSET', h, n.key, cjson.encode(r)) end
end
return redis.call('HVALS', h)
`;
