-- E1 (examples/agreements/graphite_anode_na_indopacific.lode) by hand, shared by the Lua 5.4 (e1.lua)
-- and LuaJIT (e1_luajit.lua) versions: same clauses, same order and same arithmetic as the C++
-- baseline bench/e1_native.cpp. Written in the language both VMs accept; every money value goes through
-- D, the VM's exact int64 decimal (dec54.lua or dec_luajit.lua), never through a Lua number.
-- Dates (days since 1970-01-01) and packed country codes are small integers, exact in either VM.
--
-- Market data and ownership are not precomputed by the host: it hands over the BMI.USPG10 observations
-- (observe) and the facilities registry's edges (own) once, and the 90-day window average and the
-- owned share through chains of holdings are computed here per shipment, with the same algorithms
-- as runtime/market.cpp and runtime/registry.cpp, just as the C++ baseline queries the runtime.
return function(D)
  local add, sub, mul, div, mulRatio, roundHalfEven, mean = D.add, D.sub, D.mul, D.div, D.mulRatio, D.roundHalfEven, D.mean
  local sub6 = string.sub
  local floor = math.floor
  local ZERO = D.ZERO

  -- Days from a civil date (runtime/date.cpp's algorithm, in floor divisions): setup only.
  local function days(y, m, d)
    if m <= 2 then y = y - 1 end
    local era = floor(y / 400)
    local yoe = y - era * 400
    local doy = floor((153 * (m > 2 and m - 3 or m + 9) + 2) / 5) + d - 1
    local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
    return era * 146097 + doe - 719468
  end
  local function country(code) return code:byte(1) * 256 + code:byte(2) end

  local IN_FORCE, EXPIRY = days(2027, 1, 1), days(2036, 12, 31)
  local P85, P100, NO_ACCESSION = days(2028, 1, 1), days(2029, 1, 1), days(2028, 7, 1)
  local CN, NO = country("CN"), country("NO")
  local FEOC = { [CN] = true, [country("RU")] = true, [country("IR")] = true, [country("KP")] = true }
  local BLOC_AND_PARTNERS = { [country("US")] = true, [country("CA")] = true, [country("MX")] = true,
                              [country("JP")] = true, [country("KR")] = true }
  local ORE, CONCENTRATE, PROCESSED, ACTIVE_MATERIAL, COMPONENT, ARTICLE = 0, 1, 3, 7, 8, 9
  -- Every HS prefix E1 names has 6 digits: one substring, then set lookups.
  local FLAKE_HS = { ["250410"] = true, ["250490"] = true }
  local USPG_HS = { ["250410"] = true, ["250490"] = true, ["380190"] = true }
  local ANODE_HS = { ["380190"] = true, ["250410"] = true }
  local BATTERY_HS = { ["850760"] = true, ["850790"] = true }
  local PCT25, PCT70, PCT85, PCT90, PCT95, PCT100 = D.units(25), D.units(70), D.units(85), D.units(90), D.units(95), D.units(100)
  local USPG_MIN, AAM_REF, ED330 = D.units(4550), D.units(5500), D.units(330)
  local CENT, HUNDRED_PCT_RAW = D.int(10000), D.units(100)

  local function member(c, date) return BLOC_AND_PARTNERS[c] or (c == NO and date >= NO_ACCESSION) end

  -- BMI.USPG10, sorted by date without duplicates (the host's MarketData order).
  local obsDates, obsValues = {}, {}
  -- MarketData::avg over [from, to]: binary searches for the window, nil when it is empty.
  local function windowAvg(from, to)
    local lo, hi = 1, #obsDates + 1  -- first date >= from
    while lo < hi do
      local m = floor((lo + hi) / 2)
      if obsDates[m] < from then lo = m + 1 else hi = m end
    end
    local first = lo
    hi = #obsDates + 1  -- first date > to
    while lo < hi do
      local m = floor((lo + hi) / 2)
      if obsDates[m] <= to then lo = m + 1 else hi = m end
    end
    if lo == first then return nil end
    return mean(obsValues, first, lo - 1)
  end

  -- The ownership graph: entity name -> { owners = { {node, share} ... }, country }.
  local nodes = {}
  local function node(name)
    local n = nodes[name]
    if n == nil then n = { owners = {}, country = 0 }; nodes[name] = n end
    return n
  end
  local ON_STACK, DONE = 1, 2
  -- OwnershipGraph::visit: the share of n held from FEOC through its owners: an FEOC owner counts
  -- whole, another owner is looked through, shares multiplied along each chain (percent x percent /
  -- 100, one rounding). false on a cycle or an overflow.
  local function visit(n, state, memo)
    state[n] = ON_STACK
    local sum = ZERO
    local owners = n.owners
    for i = 1, #owners do
      local edge = owners[i]
      local o, part = edge[1], nil
      local st = state[o]
      if st == ON_STACK then return false end
      if FEOC[o.country] then
        part = edge[2]
      elseif #o.owners == 0 then
        part = ZERO
      else
        if st == nil and not visit(o, state, memo) then return false end
        part = mulRatio(edge[2], memo[o], HUNDRED_PCT_RAW)
        if part == nil then return false end
      end
      sum = add(sum, part)
      if sum == nil then return false end
    end
    memo[n] = sum
    state[n] = DONE
    return true
  end
  -- OwnershipGraph::share with the FEOC group: 0 for an unknown entity, nil on an error.
  local function feocShareOf(entity)
    local n = nodes[entity]
    if n == nil then return ZERO end
    local memo = {}  -- per query, like the C++: it depends on the group
    if not visit(n, {}, memo) then return nil end
    return memo[n]
  end

  -- A duty line: rounded half-even to 0.01 USD, added to the total. nil when either step fails.
  local function addLine(total, amount)
    local rounded = roundHalfEven(amount, CENT)
    return rounded and add(total, rounded)
  end
  -- `rate % of base`: the product in %·USD divided by 100 before its one rounding.
  local function percentOf(rate, base)
    return mulRatio(rate, base, HUNDRED_PCT_RAW)
  end

  local core = {}

  function core.observe(date, raw)
    obsDates[#obsDates + 1], obsValues[#obsValues + 1] = date, raw
  end

  -- One row of the registry, already validated by the host (OwnershipGraph::addEdge accepted it).
  function core.own(entity, owner, share, ownerCountry)
    local o = node(owner)
    local e = node(entity)
    e.owners[#e.owners + 1] = { o, share }
    if o.country == 0 then o.country = ownerCountry end
  end

  -- One shipment: facility, energy and content are nil when not declared; graphite: mineral == 0.
  -- Returns ok, total (raw), lines, origin, as E1Result.
  function core.price(date, hs, origin, mineral, node_, quantity, value, facility, energy, coated,
                      feocControlled, content)
    if date < IN_FORCE or date > EXPIRY then return false, ZERO, 0, 0 end
    local graphite, h6 = mineral == 0, sub6(hs, 1, 6)
    local flake = graphite and (node_ == ORE or node_ == CONCENTRATE) and FLAKE_HS[h6] == true
    local uspg = graphite and node_ == PROCESSED and USPG_HS[h6] == true and not coated
    local anode = graphite and node_ == ACTIVE_MATERIAL and ANODE_HS[h6] == true
    local battery = graphite and (node_ == COMPONENT or node_ == ARTICLE) and BATTERY_HS[h6] == true

    -- Ownership share of FEOC-country owners, 0 when no facility is named.
    local feocShare = ZERO
    if facility and (uspg or anode or flake) then
      feocShare = feocShareOf(facility)
      if feocShare == nil then return false, ZERO, 0, 0 end
    end
    -- Art. 7.1 anti-circumvention.
    if (uspg or anode) and not FEOC[origin] and feocShare >= PCT25 then origin = CN end
    local party = member(origin, date)

    local ok, total, lines = true, ZERO, 0
    local t
    -- Art. 4.1 zero-for-zero.
    if (flake or uspg or anode or battery) and party then
      t = percentOf(ZERO, value)
      t = t and addLine(total, t)
      if t then total, lines = t, lines + 1 else ok = false end
    end
    -- Art. 5 floors (exclusive): the floor x phase, a 5 % tolerance, the gap times the tonnes.
    if (uspg or anode) and not party then
      local phase = date >= P100 and PCT100 or (date >= P85 and PCT85 or PCT70)
      local ref = AAM_REF
      if uspg then
        ref = USPG_MIN
        local avg = windowAvg(date - 90 + 1, date)
        if avg ~= nil and avg > ref then ref = avg end
      end
      local floorPrice = mulRatio(ref, phase, HUNDRED_PCT_RAW)
      local threshold = floorPrice and mulRatio(floorPrice, PCT95, HUNDRED_PCT_RAW)
      local unitPrice = threshold and div(value, quantity)
      if unitPrice == nil then
        ok = false
      elseif unitPrice < threshold then
        t = sub(floorPrice, unitPrice)
        t = t and mul(t, quantity)
        t = t and addLine(total, t)
        if t then total, lines = t, lines + 1 else ok = false end
      end
    end
    -- Art. 6.1 AD duty on anode material of at least 330 mAh/g from China.
    if anode then
      if energy == nil then
        ok = false  -- the scope needs the energy density: E0004
      elseif energy >= ED330 and origin == CN then
        t = percentOf(PCT90, value)
        t = t and addLine(total, t)
        if t then total, lines = t, lines + 1 else ok = false end
      end
    end
    -- Art. 6.2 AD duty on the graphite content of batteries.
    if battery and origin == CN then
      t = percentOf(PCT90, content or value)
      t = t and addLine(total, t)
      if t then total, lines = t, lines + 1 else ok = false end
    end
    -- Art. 7.2 facility tariff.
    if (flake or uspg or anode) and (feocShare >= PCT25 or feocControlled) then
      t = percentOf(PCT100, value)
      t = t and addLine(total, t)
      if t then total, lines = t, lines + 1 else ok = false end
    end
    -- Art. 7.3 is a flag, no money: nothing to price.
    return ok, total, lines, origin
  end

  return core
end
