// The cross-process ticket queue: a waiting acquire keeps its ticket alive, or leaves.
import { LUA_NOW } from '../../internal/lua.js';
import { CH } from './shared.js';

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
