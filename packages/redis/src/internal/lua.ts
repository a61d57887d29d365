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
