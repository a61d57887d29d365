// Settle and cancel: a lease changes its own admission's entry (a refund wakes waiters).
import { LUA_NOW } from '../../internal/lua.js';
import { COMMON } from './shared.js';

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
