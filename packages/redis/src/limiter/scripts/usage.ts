// Reads and provider feedback: exact usage of one key, and pauses from rate-limit headers.
import { LUA_NOW } from '../../internal/lua.js';
import { COMMON, LOAD } from './shared.js';

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
