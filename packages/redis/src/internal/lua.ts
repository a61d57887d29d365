// Lua helpers prepended to scripts. Numbers travel as strings: Lua 5.1 prints doubles with
// %.14g, so values are compared with tonumber() but stored and returned as the strings sent.

/** `num(s)`: a number from a stored string, with 'inf' meaning +infinity. */
export const LUA_NUM = `
local function num(s)
  if s == 'inf' then return math.huge end
  return tonumber(s)
end
`;

/** `split(v)`: fields of a '|'-joined value. */
export const LUA_SPLIT = `
local function split(v)
  local out = {}
  local from = 1
  while true do
    local at = string.find(v, '|', from, true)
    if not at then
      out[#out + 1] = string.sub(v, from)
      return out
    end
    out[#out + 1] = string.sub(v, from, at - 1)
    from = at + 1
  end
end
`;

/** `fmt(x)`: a double as a string without losing precision. */
export const LUA_FMT = `
local function fmt(x)
  if x == math.floor(x) and x < 1e15 and x > -1e15 then return string.format('%d', x) end
  return string.format('%.17g', x)
end
`;

/**
 * `clocknow(arg)`: "now" in ms, from the argument (the caller's clock) or, when it is empty,
 * from the server's `TIME` (microsecond resolution, so ms carry three decimals). Scripts that
 * call `TIME` are fine on Redis 5+ (effects replication: replicas get the writes, not the
 * script).
 */
export const LUA_NOW = `
local function clocknow(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
`;
