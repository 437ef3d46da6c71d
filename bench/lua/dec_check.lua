-- Checks a Lua decimal module against the cases of dec_cases.cpp (how to run: see there). Runs under
-- Lua 5.4 and LuaJIT; exits non-zero on the first few mismatches.
local D = dofile(arg[1])
local function text(v) return v == nil and "nil" or (tostring(v):gsub("LL$", "")) end
local ops = { add = D.add, sub = D.sub, mul = D.mul, div = D.div, ratio = D.mulRatio, round = D.roundHalfEven }
local cases, bad = 0, 0
for line in io.lines(arg[2]) do
  local f = {}
  for w in line:gmatch("%S+") do f[#f + 1] = w end
  local got, want
  if f[1] == "mean" then
    local n, vals = tonumber(f[2]), {}
    for k = 1, n do vals[k] = D.parse(f[2 + k]) end
    got, want = D.mean(vals, 1, n), f[3 + n]
  else
    got, want = ops[f[1]](D.parse(f[2]), D.parse(f[3]), D.parse(f[4])), f[5]
  end
  cases = cases + 1
  if text(got) ~= want then
    bad = bad + 1
    print("mismatch: " .. line .. " (got " .. text(got) .. ")")
    if bad == 10 then break end
  end
end
print(string.format("%s: %d cases, %d mismatches", arg[1], cases, bad))
os.exit(bad == 0 and 0 or 1)
