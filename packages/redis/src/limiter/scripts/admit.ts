// The admission script: one call per tryAcquire / acquire / retry (see ./shared.ts for the
// keys it reads and writes).
import { COMMON, LOAD } from './shared.js';

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
