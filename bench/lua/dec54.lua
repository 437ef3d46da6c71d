-- Exact fixed-point decimal for Lua 5.4: the lode runtime's arithmetic (runtime/decimal.cpp, and the
-- window mean of runtime/market.cpp) on Lua 5.4 integers, which are wrapping int64. A value is the raw
-- count of millionths (1.0 == 1000000); no float ever touches one. Every operation returns nil where
-- the C++ returns an error code (overflow, division by zero).
--
-- The C++ forms products and quotients in int128. Here the common case stays in int64 and only an
-- operation whose intermediate would not fit takes the 128-bit path, done on unsigned 64-bit limbs,
-- so both agree on every input, not just on the benchmark's.
local D = {}

local ONE = 1000000
local MINI = math.mininteger
local ult = math.ult
D.ONE, D.ZERO = ONE, 0

-- n / d rounded half-even, d > 0. Lua's // and % floor where the C++ truncates and then steps away
-- from zero; half-even is symmetric in sign, so stepping the floored quotient up past half (or at half
-- when odd) gives the same value. r is in [0, d), so d - r cannot overflow, nor can q + 1 (d > 1 then).
local function divHalfEven(n, d)
  local q, r = n // d, n % d
  local rest = d - r
  if r > rest or (r == rest and q & 1 == 1) then q = q + 1 end
  return q
end

-- a * b when it fits in int64, else nil. A wrapped product cannot divide back to b (it is off by a
-- multiple of 2^64, more than |a|), except -1 * mininteger, which Lua's // wraps too.
local function mulFits(a, b)
  local p = a * b
  if a ~= 0 and (p // a ~= b or (a == -1 and b == MINI)) then return nil end
  return p
end

-- ---- the 128-bit path: magnitudes as unsigned 64-bit values (math.ult compares them) ----

-- |x| as unsigned: mininteger wraps to itself, which read unsigned is 2^63.
local function mag(x) return x < 0 and -x or x end

-- Full 64 x 64 -> 128-bit unsigned product as (hi, lo), from 32-bit halves.
local function umul128(a, b)
  local al, ah, bl, bh = a & 0xffffffff, a >> 32, b & 0xffffffff, b >> 32
  local ll, lh, hl, hh = al * bl, al * bh, ah * bl, ah * bh
  local mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff)
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32), (ll & 0xffffffff) | (mid << 32)
end

-- (hi, lo) / d for unsigned d in [1, 2^63]: quotient and remainder, nil when the quotient needs more
-- than 64 bits. Shift-subtract; r < d <= 2^63 keeps r << 1 within 64 bits.
local function udiv128(hi, lo, d)
  if not ult(hi, d) then return nil end
  local q, r = 0, hi
  for i = 63, 0, -1 do
    r = (r << 1) | ((lo >> i) & 1)
    q = q << 1
    if not ult(r, d) then r, q = r - d, q | 1 end
  end
  return q, r
end

-- x * y / d rounded half-even, exactly, as divHalfEven<int128> then narrow(): the sign of the result
-- times the rounded quotient of the magnitudes. nil when the result leaves int64.
local function wideMulDiv(x, y, d)
  local neg = ((x < 0) ~= (y < 0)) ~= (d < 0)
  local ud = mag(d)
  local hi, lo = umul128(mag(x), mag(y))
  local q, r = udiv128(hi, lo, ud)
  if q == nil then return nil end
  local rest = ud - r
  if ult(rest, r) or (r == rest and q & 1 == 1) then
    q = q + 1
    if q == 0 then return nil end
  end
  if neg then
    if ult(MINI, q) then return nil end  -- beyond 2^63
    return -q
  end
  if q < 0 then return nil end  -- 2^63 or more
  return q
end

-- ---- the operations E1 uses ----

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

-- decMul: a*b rounded half-even to scale 6 (mulFits inlined: the hottest operation).
function D.mul(a, b)
  local p = a * b
  if a ~= 0 and (p // a ~= b or (a == -1 and b == MINI)) then return wideMulDiv(a, b, ONE) end
  return divHalfEven(p, ONE)
end

-- decDiv: a/b rounded half-even to scale 6; nil for b == 0.
function D.div(a, b)
  if b == 0 then return nil end
  local n = mulFits(a, ONE)
  if n == nil or b == MINI then return wideMulDiv(a, ONE, b) end
  if b < 0 then n, b = -n, -b end  -- n is a multiple of 10^6, so never mininteger
  return divHalfEven(n, b)
end

-- decMulRatio: a * num / den (plain integers), rounded half-even; nil for den == 0.
function D.mulRatio(a, num, den)
  if den == 0 then return nil end
  local n = mulFits(a, num)
  if n == nil or n == MINI or den == MINI then return wideMulDiv(a, num, den) end
  if den < 0 then n, den = -n, -den end
  return divHalfEven(n, den)
end

-- decRound in mode half_even (the only mode E1 declares): a to a multiple of quantum (> 0).
function D.roundHalfEven(a, quantum)
  return mulFits(divHalfEven(a, quantum), quantum)
end

-- MarketData::avg over vals[lo..hi]: the floor of the exact mean, then half-even on the remainder.
-- The C++ sums in int128; here a sum that leaves int64 is replaced by the identity
-- sum = n * sum(v // n) + sum(v % n), whose parts stay small and whose total is exact mod 2^64.
function D.mean(vals, lo, hi)
  local n = hi - lo + 1
  local s, wide = 0, false
  for k = lo, hi do
    local v = vals[k]
    local t = s + v
    if (v > 0 and t < s) or (v < 0 and t > s) then wide = true break end
    s = t
  end
  local q, r
  if wide then
    local qs, rs = 0, 0
    for k = lo, hi do
      local v = vals[k]
      qs, rs = qs + v // n, rs + v % n
    end
    q, r = qs + rs // n, rs % n
  else
    q, r = s // n, s % n
  end
  if 2 * r > n or (2 * r == n and q & 1 == 1) then q = q + 1 end
  return q
end

-- Raw text as the host prints an int64 ("-12500000"): setup only.
function D.parse(text)
  local v = tonumber(text)
  if math.type(v) ~= "integer" then error("not an int64 raw decimal: " .. tostring(text)) end
  return v
end

-- A plain integer (n) and n units (n * 10^6) in this VM's int64 type.
function D.int(n) return n end
function D.units(n) return n * ONE end

return D
