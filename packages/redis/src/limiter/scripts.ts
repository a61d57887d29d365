// Lua for the Redis limiter. Per limiter key K (all under the team's hash tag):
//   H  hash  r, t, c          running sums of the entries in W (requests, tokens, cost in nanos)
//            pr, pt           paused until (provider feedback), clock ms
//            qn               number of tickets in Q (0 or missing: nobody waits)
//            ev               when W next holds entries worth evicting (clock ms)
//            keep             until when H and W are kept (garbage collection only)
//            q:<ticket>       a queued acquire: "deadline|r|t|c"
//   W  zset  "id|r|t|c" -> admittedAt (windowed rules only): one member per admission, its
//            weight in the member itself, so eviction reads nothing else
//   Q  zset  ticket -> ticket number: the cross-process FIFO queue of waiting acquires
// Time is always ARGV (the caller's clock), never the server's TIME.
//
// Eviction is batched: an admission that fits even with entries that have just left the
// window still counted (the sums only shrink when they go) is admitted without touching W
// beyond its own ZADD; entries leave in batches once `ev` passes (at most windowMs/8 late),
// and at once whenever a refusal, a retryAfterMs or usage() needs exact sums. So the hot path
// is HMGET, HSET, ZADD, and every answer a caller can see is exact.
import { LUA_FMT, LUA_NOW, LUA_NUM, LUA_SPLIT } from '../internal/lua.js';

const CH = `
-- ARGV channel is "origin|wake stream": a wake is an entry "origin|key" on the team's wake
-- stream (read by each process's one blocking reader), and its sender ignores its own.
local function wake(spec, name)
  local sep = string.find(spec, '|', 1, true)
  redis.call('XADD', string.sub(spec, sep + 1), 'MAXLEN', '~', 256, '*', 'w',
    string.sub(spec, 1, sep - 1) .. '|' .. name)
end

`;

const COMMON = `${LUA_NUM}${LUA_SPLIT}${LUA_FMT}
local INF = math.huge
local function fits(used, weight, limit) return used < limit and used + weight <= limit end
local function inf(x) if x == INF then return 'inf' end return fmt(x) end
${CH}`;

/** Loading, eviction and saving of one key's state; `now` must be a local declared before. */
const LOAD = `
local function load(k)
  local v = redis.call('HMGET', k.H, 'r', 't', 'c', 'pr', 'pt', 'qn', 'ev', 'keep')
  k.used = {tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0}
  k.pr = tonumber(v[4]) or -INF
  k.pt = tonumber(v[5]) or -INF
  k.qn = tonumber(v[6]) or 0
  k.ev = (v[7] and num(v[7])) or -INF
  k.keep = tonumber(v[8]) or -INF
  k.dirty = false
  k.exact = not k.ruled or k.win == INF
end
-- Drops every entry with now - at >= window from W and the sums, and notes when the next
-- batch is due (the oldest remaining entry's exit plus an eighth of the window).
local function evict(k)
  if k.exact then return end
  k.exact = true
  local cutoff = now - k.win
  local gone = redis.call('ZRANGEBYSCORE', k.W, '-inf', cutoff)
  if #gone > 0 then
    -- One pattern match per member (no table, no substrings loop): this runs once for every
    -- admission that ever leaves a window.
    local r, t, c = 0, 0, 0
    for _, m in ipairs(gone) do
      local mr, mt, mc = string.match(m, '|([^|]*)|([^|]*)|([^|]*)$')
      r, t, c = r + tonumber(mr), t + tonumber(mt), c + tonumber(mc)
    end
    k.used[1], k.used[2], k.used[3] = k.used[1] - r, k.used[2] - t, k.used[3] - c
    redis.call('ZREMRANGEBYSCORE', k.W, '-inf', cutoff)
  end
  local oldest = redis.call('ZRANGE', k.W, 0, 0, 'WITHSCORES')
  if oldest[2] then k.ev = tonumber(oldest[2]) + k.win * 1.125 else k.ev = INF end
  k.dirty = true
end
local function save(k)
  redis.call('HSET', k.H, 'r', fmt(k.used[1]), 't', fmt(k.used[2]), 'c', fmt(k.used[3]), 'ev', inf(k.ev))
  k.dirty = false
end
`;

/**
 * Admission: mode 'try' (admit or refuse), 'peek' (refuse, reporting the wait: a local waiter
 * is ahead), 'acquire' (admit, or refuse and enqueue a ticket), 'queue' (enqueue a ticket: a
 * local waiter is ahead), 'retry' (a queued ticket tries again). KEYS: H, W, Q per limiter key,
 * then the id counter. ARGV: now, mode ('retry:<ticket>' for a retry with a ticket), member
 * ("id|requests|tokens|cost": the admission's window entry as it is written), "ticketTtl|channel",
 * then per key its rule ("window|maxRequests|maxTokens|maxCost"; window 'inf' for a lifetime
 * rule, 'none' when unruled; limits 'inf' when unlimited). A key's name is read off its H key
 * (<base>l:<name>:h, <base> being the id counter's key without 'lseq'). Packed because every
 * argument costs about 0.2 µs end to end (client encoding, RESP parsing, the ARGV table): one
 * key takes 9 arguments, not 19.
 * Returns 1 (admitted under the id it was given: the fast path's compact reply), {1, id}, or
 * {0, reason, retryAfter, ticket, wakeIn, blocker}: wakeIn is ms from the script's now (relative, so
 * a caller on another clock than the script's can arm its timer).
 */
export const ADMIT_SCRIPT = `
-- "now": the caller's clock, or the server's TIME when the argument is empty (live use).
local now = tonumber(ARGV[1])
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
-- The fast path's compact reply: 1 (admitted at the caller's now), or the server's now.
local admitted = 1
if ARGV[1] == '' then admitted = string.format('%.17g', now) end
-- Fast path, before any helper is even defined: one key, nobody queued on it, no pause, no
-- eviction due, and the weight fits even counting entries that may just have left the window
-- (sums only shrink when they go). HMGET, ZADD, HSET of the sums that change. Anything else
-- falls through.
if #KEYS == 4 and (ARGV[2] == 'try' or ARGV[2] == 'acquire') then
  local v = redis.call('HMGET', KEYS[1], 'r', 't', 'c', 'pr', 'pt', 'qn', 'ev', 'keep')
  local win, lr, lt, lc = string.match(ARGV[5], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if (tonumber(v[4]) or -math.huge) <= now and (tonumber(v[5]) or -math.huge) <= now
    and (tonumber(v[6]) or 0) == 0 then
    if win == 'none' then return 1 end
    local ev = -math.huge
    if v[7] == 'inf' then ev = math.huge elseif v[7] then ev = tonumber(v[7]) end
    if win == 'inf' or now < ev then
      local r, t, c = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
      local mr, mt, mc = string.match(ARGV[3], '|([^|]*)|([^|]*)|([^|]*)$')
      local wr, wt, wc = tonumber(mr), tonumber(mt), tonumber(mc)
      if (lr == 'inf' or (r < tonumber(lr) and r + wr <= tonumber(lr)))
        and (lt == 'inf' or (t < tonumber(lt) and t + wt <= tonumber(lt)))
        and (lc == 'inf' or (c < tonumber(lc) and c + wc <= tonumber(lc))) then
        -- Numbers go to redis.call as numbers: Redis writes them with %.17g, exact for every
        -- double (the same text fmt() gives, for integers below 1e17). Only the sums that
        -- change are written (a zero weight leaves its sum as it is), and ev only when the
        -- window was empty: the common path is one HSET of one field.
        if win == 'inf' then
          redis.call('HSET', KEYS[1], 'r', r + wr, 't', t + wt, 'c', c + wc)
          return admitted
        end
        redis.call('ZADD', KEYS[2], now, ARGV[3])
        local span = tonumber(win) + tonumber(string.match(ARGV[4], '^[^|]*'))
        local refresh = now + span / 2 > (tonumber(v[8]) or -math.huge)
        if wt == 0 and wc == 0 and ev ~= math.huge and not refresh then
          redis.call('HSET', KEYS[1], 'r', r + wr)
          return admitted
        end
        local set = {'r', r + wr}
        if wt ~= 0 then set[#set + 1] = 't'; set[#set + 1] = t + wt end
        if wc ~= 0 then set[#set + 1] = 'c'; set[#set + 1] = c + wc end
        if ev == math.huge then set[#set + 1] = 'ev'; set[#set + 1] = now + tonumber(win) * 1.125 end
        if refresh then set[#set + 1] = 'keep'; set[#set + 1] = now + span end
        redis.call('HSET', KEYS[1], unpack(set))
        if refresh then
          -- After the HSET: a PEXPIRE before it would miss a hash this admission creates.
          redis.call('PEXPIRE', KEYS[1], math.ceil(span))
          redis.call('PEXPIRE', KEYS[2], math.ceil(span))
        end
        return admitted
      end
    end
  end
end
${COMMON}
${LOAD}
local mode, member, ticket = ARGV[2], ARGV[3], ''
if string.sub(mode, 1, 6) == 'retry:' then mode, ticket = 'retry', string.sub(mode, 7) end
local admissionId, wr, wt, wc = string.match(member, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
-- "|r|t|c": the weight part of the member, as ticket infos store it.
local weightText = string.sub(member, #admissionId + 1)
local w = {tonumber(wr), tonumber(wt), tonumber(wc)}
local ttlText, channel = string.match(ARGV[4], '^([^|]*)|(.*)$')
local grace, n = tonumber(ttlText), (#KEYS - 1) / 3
local baseLength = #KEYS[#KEYS] - 4
local REASONS = {'requests', 'tokens', 'budget'}
local ks = {}
for i = 1, n do
  local win, mr, mt, mc = string.match(ARGV[4 + i], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  local H = KEYS[3 * i - 2]
  local k = { name = string.sub(H, baseLength + 3, -3), H = H, W = KEYS[3 * i - 1], Q = KEYS[3 * i] }
  k.ruled = win ~= 'none'
  if win == 'inf' or win == 'none' then k.win = INF else k.win = tonumber(win) end
  k.max = {num(mr), num(mt), num(mc)}
  ks[i] = k
end
for _, k in ipairs(ks) do
  load(k)
  if now >= k.ev then evict(k) end
end

local function admissible(k, wt)
  if k.pr > now or k.pt > now then return false end
  if not k.ruled then return true end
  for d = 1, 3 do
    if not fits(k.used[d], wt[d], k.max[d]) then return false end
  end
  return true
end
local function allAdmissible()
  for _, k in ipairs(ks) do if not admissible(k, w) then return false end end
  return true
end
-- Sums may still count entries that just left the window: exact before any "no".
local function exactAll()
  for _, k in ipairs(ks) do evict(k) end
end

-- Milliseconds until wt fits on dimension d of k, assuming no new admissions (k is exact).
local function waitMs(k, d, amount)
  local used, limit = k.used[d], k.max[d]
  if fits(used, amount, limit) then return 0 end
  if k.win == INF or amount > limit then return INF end
  local entries = redis.call('ZRANGE', k.W, 0, -1, 'WITHSCORES')
  local left = used
  for j = 1, #entries, 2 do
    left = left - tonumber((select(d, string.match(entries[j], '|([^|]*)|([^|]*)|([^|]*)$'))))
    if fits(left, amount, limit) then return tonumber(entries[j + 1]) + k.win - now end
  end
  return INF
end

-- The largest wait over every key and dimension; ties report requests, tokens, budget.
local function refusal(list, wt)
  local reason, wait = 1, 0
  for _, k in ipairs(list) do
    for d = 1, 3 do
      local ms = 0
      if k.ruled then ms = waitMs(k, d, wt[d]) end
      local paused = now
      if d == 1 then paused = k.pr elseif d == 2 then paused = k.pt end
      if paused - now > ms then ms = paused - now end
      if ms > wait then wait = ms; reason = d end
    end
  end
  return reason, wait
end

local function countTickets(k)
  k.qn = redis.call('ZCARD', k.Q)
  redis.call('HSET', k.H, 'qn', k.qn)
end

-- The oldest live ticket of k; tickets past their deadline (their process went quiet) are dropped.
local function firstLive(k)
  if k.qn == 0 then return nil end
  local dropped = false
  while true do
    local head = redis.call('ZRANGE', k.Q, 0, 0)[1]
    if not head then
      countTickets(k)
      return nil
    end
    local info = redis.call('HGET', k.H, 'q:' .. head)
    if info then
      local f = split(info)
      if tonumber(f[1]) > now then
        if dropped then countTickets(k) end
        return head, f
      end
      redis.call('HDEL', k.H, 'q:' .. head)
    end
    redis.call('ZREM', k.Q, head)
    dropped = true
  end
end

-- Writes the admission on every ruled key. Garbage collection: a windowed key's H and W are
-- kept the window plus the ticket TTL past the newest entry, refreshed once per half of that.
local function admit()
  for _, k in ipairs(ks) do
    if k.ruled then
      for d = 1, 3 do k.used[d] = k.used[d] + w[d] end
      if k.win < INF then
        redis.call('ZADD', k.W, now, member)
        if k.ev == INF then k.ev = now + k.win * 1.125 end
        local span = k.win + grace
        if now + span / 2 > k.keep then
          redis.call('HSET', k.H, 'keep', fmt(now + span))
          redis.call('PEXPIRE', k.H, math.ceil(span))
          redis.call('PEXPIRE', k.W, math.ceil(span))
        end
      end
      save(k)
    end
  end
  return admissionId
end

local function flush()
  for _, k in ipairs(ks) do if k.dirty then save(k) end end
end

local function ticketInfo(deadline) return fmt(deadline) .. weightText end
-- Records our ticket's deadline on k, and keeps k's queue (and its hash, if it expires at all:
-- a lifetime rule's hash never does) at least until then.
local function holdTicket(k, deadline)
  redis.call('HSET', k.H, 'q:' .. ticket, ticketInfo(deadline))
  local ms = math.ceil(deadline - now + grace)
  if redis.call('PTTL', k.Q) < ms then redis.call('PEXPIRE', k.Q, ms) end
  local hms = redis.call('PTTL', k.H)
  if hms >= 0 and hms < ms then redis.call('PEXPIRE', k.H, ms) end
end

if mode == 'retry' then
  local blocker, blockerDeadline = '', INF
  for _, k in ipairs(ks) do
    if not redis.call('ZSCORE', k.Q, ticket) then
      redis.call('ZADD', k.Q, tonumber(ticket), ticket)
      countTickets(k)
    end
    redis.call('HSET', k.H, 'q:' .. ticket, ticketInfo(now + grace))
    local head, f = firstLive(k)
    if head ~= ticket then
      blocker = head
      if tonumber(f[1]) < blockerDeadline then blockerDeadline = tonumber(f[1]) end
    end
  end
  if blocker ~= '' then
    -- Our place is held for the ticket TTL; a live waiter refreshes it (TOUCH) until it leaves.
    for _, k in ipairs(ks) do holdTicket(k, now + grace) end
    flush()
    return {0, 'requests', '0', ticket, inf(blockerDeadline - now), blocker}
  end
  local ok = allAdmissible()
  if not ok then
    exactAll()
    ok = allAdmissible()
  end
  if ok then
    for _, k in ipairs(ks) do
      redis.call('ZREM', k.Q, ticket)
      redis.call('HDEL', k.H, 'q:' .. ticket)
      countTickets(k)
    end
    local id = admit()
    flush()
    for _, k in ipairs(ks) do
      if k.qn > 0 then wake(channel, k.name) end
    end
    return {1, id, fmt(now)}
  end
  local reason, wait = refusal(ks, w)
  for _, k in ipairs(ks) do holdTicket(k, now + grace) end
  flush()
  return {0, REASONS[reason], inf(wait), ticket, inf(wait), ''}
end

local heads = {}
for _, k in ipairs(ks) do
  local head, f = firstLive(k)
  if head then heads[#heads + 1] = {k, head, f} end
end
local ok = allAdmissible()
if #heads == 0 and (mode == 'try' or mode == 'acquire') then
  if not ok then
    exactAll()
    ok = allAdmissible()
  end
  if ok then
    local id = admit()
    flush()
    return {1, id, fmt(now)}
  end
end
exactAll()
ok = allAdmissible()
local reason, wait = 1, 0
if not ok then reason, wait = refusal(ks, w) end
-- Queued behind others: report the larger of our own wait and the wait of the waiter each
-- queue is stuck behind (a lower bound).
local blocker, blockerDeadline = '', INF
for _, h in ipairs(heads) do
  local k, f = h[1], h[3]
  local hw = {tonumber(f[2]), tonumber(f[3]), tonumber(f[4])}
  if not admissible(k, hw) then
    local r2, w2 = refusal({k}, hw)
    if w2 > wait then reason, wait = r2, w2 end
  end
  if tonumber(f[1]) < blockerDeadline then blocker, blockerDeadline = h[2], tonumber(f[1]) end
end
if mode ~= 'acquire' and mode ~= 'queue' then
  flush()
  return {0, REASONS[reason], inf(wait), '', '', ''}
end
ticket = tostring(redis.call('INCR', KEYS[3 * n + 1]))
-- The ticket lives for the ticket TTL past now; the waiter's process refreshes it (TOUCH) for
-- as long as it waits, so a crashed process blocks the queue for at most that TTL.
local wakeAt, deadline = now + wait, now + grace
if blocker ~= '' then wakeAt = blockerDeadline end
for _, k in ipairs(ks) do
  redis.call('ZADD', k.Q, tonumber(ticket), ticket)
  countTickets(k)
  holdTicket(k, deadline)
end
flush()
return {0, REASONS[reason], inf(wait), ticket, inf(wakeAt - now), blocker}
`;

/**
 * A live waiter keeps its ticket: its deadline moves to now + ticket TTL on every key where it
 * still waits. KEYS: H, Q per key. ARGV: ticket, now ('' = server TIME), ticket TTL ms.
 */
export const TOUCH_SCRIPT = `${LUA_NOW}
local now, grace = clocknow(ARGV[2]), tonumber(ARGV[3])
local deadline = string.format('%.17g', now + grace)
for i = 1, #KEYS / 2 do
  local H, Q = KEYS[2 * i - 1], KEYS[2 * i]
  local info = redis.call('HGET', H, 'q:' .. ARGV[1])
  if info then
    redis.call('HSET', H, 'q:' .. ARGV[1], deadline .. string.match(info, '^[^|]*(|.*)$'))
    local ms = math.ceil(2 * grace)
    if redis.call('PTTL', Q) < ms then redis.call('PEXPIRE', Q, ms) end
    local hms = redis.call('PTTL', H)
    if hms >= 0 and hms < ms then redis.call('PEXPIRE', H, ms) end
  end
end
return 1
`;

/**
 * A ticket leaves every queue it is in. KEYS: H, Q per key. ARGV: ticket, channel, names...
 * Publishes each key that still has waiters: the next one may be at the head now.
 */
export const LEAVE_SCRIPT = `${CH}
local ticket, channel = ARGV[1], ARGV[2]
for i = 1, #KEYS / 2 do
  local H, Q = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZREM', Q, ticket)
  redis.call('HDEL', H, 'q:' .. ticket)
  local left = redis.call('ZCARD', Q)
  redis.call('HSET', H, 'qn', left)
  if left > 0 then wake(channel, ARGV[2 + i]) end
end
return 1
`;

/**
 * Settle or cancel: changes the admission `member` ("id|r|t|c") by the deltas on every key
 * where it still counts. KEYS: H, W, Q per key. ARGV: now, member, dRequests, dTokens, dCost,
 * channel, then per key: name, window ('inf' for a lifetime rule). A give-back publishes keys
 * that have waiters.
 */
export const ADJUST_SCRIPT = `${COMMON}${LUA_NOW}
local now, member, channel = clocknow(ARGV[1]), ARGV[2], ARGV[6]
local delta = {tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])}
local refund = delta[1] < 0 or delta[2] < 0 or delta[3] < 0
local f = split(member)
local changed = f[1] .. '|' .. fmt(tonumber(f[2]) + delta[1]) .. '|' .. fmt(tonumber(f[3]) + delta[2]) .. '|' .. fmt(tonumber(f[4]) + delta[3])
for i = 1, #KEYS / 3 do
  local H, W, Q = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local name, win = ARGV[5 + 2 * i], ARGV[6 + 2 * i]
  local counts = win == 'inf'
  if not counts then
    local at = redis.call('ZSCORE', W, member)
    -- Only while the admission is still in its window: a refund after it left changes nothing.
    if at and tonumber(at) > now - tonumber(win) then
      -- Add first, then remove: the set never empties, so Redis never deletes the key and
      -- recreates it without its expiry.
      if changed ~= member then
        redis.call('ZADD', W, at, changed)
        redis.call('ZREM', W, member)
      end
      counts = true
    end
  end
  if counts then
    local v = redis.call('HMGET', H, 'r', 't', 'c')
    redis.call('HSET', H,
      'r', fmt((tonumber(v[1]) or 0) + delta[1]),
      't', fmt((tonumber(v[2]) or 0) + delta[2]),
      'c', fmt((tonumber(v[3]) or 0) + delta[3]))
    if refund and redis.call('ZCARD', Q) > 0 then wake(channel, name) end
  end
end
return 1
`;

/** KEYS: H, W. ARGV: now, window ('inf' lifetime). Returns exact {requests, tokens, cost}. */
export const USAGE_SCRIPT = `${COMMON}${LUA_NOW}
local now = clocknow(ARGV[1])
${LOAD}
local k = { H = KEYS[1], W = KEYS[2], ruled = true, win = num(ARGV[2]) }
load(k)
evict(k)
if k.dirty and redis.call('EXISTS', KEYS[1]) == 1 then save(k) end
return {fmt(k.used[1]), fmt(k.used[2]), fmt(k.used[3])}
`;

/**
 * Provider feedback: pauses key admissions for the given times from now (never shortens a
 * pause). KEYS: H. ARGV: requests pause ms, tokens pause ms ('' = unchanged), keep-alive ms,
 * now ('' = server TIME).
 */
export const OBSERVE_SCRIPT = `${LUA_NOW}
local now = clocknow(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'pr', 'pt')
local existed = redis.call('EXISTS', KEYS[1]) == 1
local function pauseUntil(ms) return string.format('%.17g', now + tonumber(ms)) end
if ARGV[1] ~= '' and (not v[1] or tonumber(v[1]) < now + tonumber(ARGV[1])) then redis.call('HSET', KEYS[1], 'pr', pauseUntil(ARGV[1])) end
if ARGV[2] ~= '' and (not v[2] or tonumber(v[2]) < now + tonumber(ARGV[2])) then redis.call('HSET', KEYS[1], 'pt', pauseUntil(ARGV[2])) end
local ms = tonumber(ARGV[3])
local cur = redis.call('PTTL', KEYS[1])
if not existed or (cur >= 0 and cur < ms) then redis.call('PEXPIRE', KEYS[1], ms) end
return 1
`;
