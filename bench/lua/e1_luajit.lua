-- E1 for LuaJIT, as an integrator would embed it: exact money on FFI int64_t (dec_luajit.lua), the
-- clauses in e1_core.lua. The host (bench/lua/shim.cpp) runs this chunk with the folder of the .lua
-- files as its argument and calls the returned module: observe and own as in e1.lua, then bind once.
-- Per shipment it calls price() with no arguments: the fields are read from, and the result written
-- to, C structs through the FFI, the cheap way into LuaJIT (arguments pushed through the C API would
-- arrive as doubles, not exact past 2^53).
local dir = ...
local ffi = require("ffi")
local D = dofile(dir .. "/dec_luajit.lua")
local core = dofile(dir .. "/e1_core.lua")(D)

local M = {}
function M.observe(date, raw) core.observe(date, D.parse(raw)) end
function M.own(entity, owner, share, country) core.own(entity, owner, D.parse(share), country) end

local IN, OUT
-- types: the C declarations of struct lode_lua_shipment and lode_lua_result (bench/lua/shim.h), so
-- both sides read one layout; input, output: the host's structs, as light userdata.
function M.bind(types, input, output)
  ffi.cdef(types)
  IN = ffi.cast("const struct lode_lua_shipment*", input)
  OUT = ffi.cast("struct lode_lua_result*", output)
end

local str, price = ffi.string, core.price
function M.price()
  local s = IN
  local ok, total, lines, origin = price(s.date, str(s.hs, s.hs_len), s.origin, s.mineral, s.node,
    s.quantity, s.value,
    s.has_facility ~= 0 and str(s.facility, s.facility_len) or nil,
    s.has_energy_density ~= 0 and s.energy_density or nil,
    s.coated ~= 0, s.feoc_controlled ~= 0,
    s.has_content_value ~= 0 and s.content_value or nil)
  local out = OUT
  out.ok, out.total, out.lines, out.origin = ok and 1 or 0, total, lines, origin
end
return M
