-- Exact fixed-point decimal for LuaJIT: the same operations as dec54.lua (runtime/decimal.cpp and
-- the window mean of runtime/market.cpp) on FFI int64_t cdata. LuaJIT's own numbers are doubles, exact
-- only to 2^53, so every raw value (millionths, 1.0 == 1000000LL) is an int64_t here, and the 128-bit
-- path uses uint64_t. Every operation returns nil where the C++ returns an error code.
--
-- Unlike Lua 5.4's // and %, int64 cdata `/` and `%` truncate like C, so divHalfEven reads as the
-- C++ does. Callers must never mix in uint64_t (it would turn the arithmetic unsigned) nor use a
-- cdata value as a table key (keys compare by identity).
local ffi = require("ffi")
local bit = require("bit")

local I64, U64 = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
local ONE = 1000000LL
local MINI = -9223372036854775807LL - 1
local D = { ONE = ONE, ZERO = 0LL }

-- divHalfEven of decimal.cpp, d > 0.
local function divHalfEven(n, d)
  local q, r = n / d, n % d
  local ar = r < 0 and -r or r
  local rest = d - ar
  if ar > rest or (ar == rest and q % 2 ~= 0) then
    if n > 0 then q = q + 1 else q = q - 1 end
  end
  return q
end

-- a * b when it fits in int64, else nil (see dec54.lua for why the division test is exact).
local function mulFits(a, b)
  local p = a * b
  if a ~= 0 and (p / a ~= b or (a == -1 and b == MINI)) then return nil end
  return p
end

-- ---- the 128-bit path on uint64_t magnitudes ----

local B32 = 4294967296ULL
local TWO63 = 9223372036854775808ULL

local function mag(x) return ffi.cast(U64, x < 0 and -x or x) end  -- mininteger -> 2^63

local function umul128(a, b)
  local al, ah, bl, bh = a % B32, a / B32, b % B32, b / B32
  local ll, lh, hl, hh = al * bl, al * bh, ah * bl, ah * bh
  local mid = ll / B32 + lh % B32 + hl % B32
  return hh + lh / B32 + hl / B32 + mid / B32, ll % B32 + (mid % B32) * B32
end

local function udiv128(hi, lo, d)
  if hi >= d then return nil end
  local q, r = 0ULL, hi
  for i = 63, 0, -1 do
    r = r * 2 + bit.band(bit.rshift(lo, i), 1ULL)
    q = q * 2
    if r >= d then r, q = r - d, q + 1 end
  end
  return q, r
end

local function wideMulDiv(x, y, d)
  local neg = ((x < 0) ~= (y < 0)) ~= (d < 0)
  local ud = mag(d)
  local hi, lo = umul128(mag(x), mag(y))
  local q, r = udiv128(hi, lo, ud)
  if q == nil then return nil end
  local rest = ud - r
  if r > rest or (r == rest and q % 2 ~= 0) then
    q = q + 1
    if q == 0 then return nil end
  end
  if neg then
    if q > TWO63 then return nil end
    return ffi.cast(I64, -q)
  end
  if q >= TWO63 then return nil end
  return ffi.cast(I64, q)
end

-- ---- the operations E1 uses (contracts as in dec54.lua) ----

function D.add(a, b)
  local s = a + b
  if (b > 0 and s < a) or (b < 0 and s > a) then return nil end
  return s
end

function D.sub(a, b)
  local s = a - b
  if (b > 0 and s > a) or (b < 0 and s < a) then return nil end
  return s
end

function D.mul(a, b)
  local p = mulFits(a, b)
  if p == nil then return wideMulDiv(a, b, ONE) end
  return divHalfEven(p, ONE)
end

function D.div(a, b)
  if b == 0 then return nil end
  local n = mulFits(a, ONE)
  if n == nil or b == MINI then return wideMulDiv(a, ONE, b) end
  if b < 0 then n, b = -n, -b end
  return divHalfEven(n, b)
end

function D.mulRatio(a, num, den)
  if den == 0 then return nil end
  local n = mulFits(a, num)
  if n == nil or n == MINI or den == MINI then return wideMulDiv(a, num, den) end
  if den < 0 then n, den = -n, -den end
  return divHalfEven(n, den)
end

function D.roundHalfEven(a, quantum)
  return mulFits(divHalfEven(a, quantum), quantum)
end

-- a / n and a % n floored, as market.cpp adjusts its truncating C division (n > 0).
local function floorDivMod(a, n)
  local q, r = a / n, a % n
  if r < 0 then q, r = q - 1, r + n end
  return q, r
end

-- MarketData::avg over vals[lo..hi] (see dec54.lua for the path taken when the sum leaves int64).
function D.mean(vals, lo, hi)
  local n = hi - lo + 1
  local s, wide = 0LL, false
  for k = lo, hi do
    local v = vals[k]
    local t = s + v
    if (v > 0 and t < s) or (v < 0 and t > s) then wide = true break end
    s = t
  end
  local q, r
  if wide then
    local qs, rs = 0LL, 0LL
    for k = lo, hi do
      local vq, vr = floorDivMod(vals[k], n)
      qs, rs = qs + vq, rs + vr
    end
    local cq
    cq, r = floorDivMod(rs, n)
    q = qs + cq
  else
    q, r = floorDivMod(s, n)
  end
  if 2 * r > n or (2 * r == n and q % 2 ~= 0) then q = q + 1 end
  return q
end

-- Raw text as the host prints an int64 ("-12500000"): setup only. Accumulating -2^63's magnitude
-- wraps to -2^63, which the negation leaves as is, so every int64 parses.
function D.parse(text)
  local neg = text:sub(1, 1) == "-"
  local first = neg and 2 or 1
  if #text < first then error("not an int64 raw decimal: " .. text) end
  local v = 0LL
  for i = first, #text do
    local digit = text:byte(i) - 48
    if digit < 0 or digit > 9 then error("not an int64 raw decimal: " .. text) end
    v = v * 10 + digit
  end
  return neg and -v or v
end

function D.int(n) return I64(n) end
function D.units(n) return I64(n) * ONE end

return D
