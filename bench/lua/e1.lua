-- E1 for Lua 5.4, as an integrator would embed it: exact money on Lua 5.4's int64 integers
-- (dec54.lua), the clauses in e1_core.lua. The host (bench/lua/shim.cpp) runs this chunk with the
-- folder of the .lua files as its argument and calls the returned module:
--   observe(date, raw)                         a BMI.USPG10 observation, in date order
--   own(entity, owner, share, country)         a facilities registry row (share in %, raw)
--   price(date, hs, origin, mineral, node, quantity, value, facility, energy_density, coated,
--         feoc_controlled, content_value)      -> ok, total, lines, origin
-- Raw decimals arrive as text at setup (exact in either VM) and as integers per shipment.
local dir = ...
assert(math.type and math.type(1) == "integer", "e1.lua needs Lua 5.4 integers")
local D = dofile(dir .. "/dec54.lua")
local core = dofile(dir .. "/e1_core.lua")(D)

local M = {}
function M.observe(date, raw) core.observe(date, D.parse(raw)) end
function M.own(entity, owner, share, country) core.own(entity, owner, D.parse(share), country) end
M.price = core.price
return M
