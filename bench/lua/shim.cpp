// One embedded Lua running E1 behind the interface of shim.h. Compiled twice (bench/CMakeLists.txt):
// with LODE_LUA_FFI against LuaJIT, where a shipment is read through the FFI from a C struct; without
// it against Lua 5.4, where the fields are pushed as arguments (Lua 5.4 integers are exact int64).
// Plain C-style code: it runs inside a library of its own, loaded with dlopen.
#include "bench/lua/shim.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#ifdef LODE_LUA_FFI
#include <luajit.h>
#endif
}

struct lode_lua_vm {
  lua_State* L;  // stack: 1 the module, 2 its price function
#ifdef LODE_LUA_FFI
  lode_lua_shipment in;  // what e1_luajit.lua reads and writes through the FFI
  lode_lua_result out;
#endif
  char error[512];
};

namespace {

constexpr int kModule = 1, kPrice = 2;

int fail(lode_lua_vm* vm) {
  const char* msg = lua_tostring(vm->L, -1);
  std::snprintf(vm->error, sizeof vm->error, "%s", msg ? msg : "(error object is not a string)");
  lua_settop(vm->L, kPrice);
  return 1;
}

void closeVm(lode_lua_vm* vm) {
  if (!vm) return;
  if (vm->L) lua_close(vm->L);
  std::free(vm);
}

lode_lua_vm* openVm(const char* dir, const char* script, char* err, size_t errLen) {
  auto* vm = static_cast<lode_lua_vm*>(std::calloc(1, sizeof(lode_lua_vm)));
  if (!vm || !(vm->L = luaL_newstate())) {
    std::snprintf(err, errLen, "cannot create a Lua state");
    closeVm(vm);
    return nullptr;
  }
  lua_State* L = vm->L;
  luaL_openlibs(L);
  char path[4096];
  std::snprintf(path, sizeof path, "%s/%s", dir, script);
  bool ok = luaL_loadfile(L, path) == 0 && (lua_pushstring(L, dir), lua_pcall(L, 1, 1, 0) == 0);
  if (ok && !lua_istable(L, kModule)) {
    lua_pushfstring(L, "%s returned no module", path);
    ok = false;
  }
#ifdef LODE_LUA_FFI
  if (ok) {
    lua_getfield(L, kModule, "bind");
    lua_pushstring(L, LODE_LUA_TYPES_TEXT);
    lua_pushlightuserdata(L, &vm->in);
    lua_pushlightuserdata(L, &vm->out);
    ok = lua_pcall(L, 3, 0, 0) == 0;
  }
#endif
  if (ok) {
    lua_getfield(L, kModule, "price");
    if (!lua_isfunction(L, kPrice)) {
      lua_pushfstring(L, "%s has no price function", path);
      ok = false;
    }
  }
  if (!ok) {
    const char* msg = lua_tostring(L, -1);
    std::snprintf(err, errLen, "%s", msg ? msg : "(error object is not a string)");
    closeVm(vm);
    return nullptr;
  }
  return vm;
}

int observe(lode_lua_vm* vm, int32_t date, int64_t raw) {
  lua_State* L = vm->L;
  char text[32];
  std::snprintf(text, sizeof text, "%lld", static_cast<long long>(raw));
  lua_getfield(L, kModule, "observe");
  lua_pushinteger(L, date);
  lua_pushstring(L, text);
  return lua_pcall(L, 2, 0, 0) == 0 ? 0 : fail(vm);
}

int own(lode_lua_vm* vm, const char* entity, const char* owner, int64_t share, int64_t country) {
  lua_State* L = vm->L;
  char text[32];
  std::snprintf(text, sizeof text, "%lld", static_cast<long long>(share));
  lua_getfield(L, kModule, "own");
  lua_pushstring(L, entity);
  lua_pushstring(L, owner);
  lua_pushstring(L, text);
  lua_pushinteger(L, static_cast<lua_Integer>(country));  // a packed country code: small
  return lua_pcall(L, 4, 0, 0) == 0 ? 0 : fail(vm);
}

int price(lode_lua_vm* vm, const lode_lua_shipment* s, lode_lua_result* r) {
  lua_State* L = vm->L;
  lua_pushvalue(L, kPrice);
#ifdef LODE_LUA_FFI
  vm->in = *s;
  if (lua_pcall(L, 0, 0, 0) != 0) return fail(vm);
  *r = vm->out;
#else
  lua_pushinteger(L, s->date);
  lua_pushlstring(L, s->hs, static_cast<size_t>(s->hs_len));
  lua_pushinteger(L, s->origin);
  lua_pushinteger(L, s->mineral);
  lua_pushinteger(L, s->node);
  lua_pushinteger(L, s->quantity);
  lua_pushinteger(L, s->value);
  if (s->has_facility) lua_pushlstring(L, s->facility, static_cast<size_t>(s->facility_len));
  else lua_pushnil(L);
  if (s->has_energy_density) lua_pushinteger(L, s->energy_density);
  else lua_pushnil(L);
  lua_pushboolean(L, s->coated);
  lua_pushboolean(L, s->feoc_controlled);
  if (s->has_content_value) lua_pushinteger(L, s->content_value);
  else lua_pushnil(L);
  if (lua_pcall(L, 12, 4, 0) != 0) return fail(vm);
  r->ok = lua_toboolean(L, -4);
  r->total = lua_tointeger(L, -3);
  r->lines = static_cast<int32_t>(lua_tointeger(L, -2));
  r->origin = static_cast<int32_t>(lua_tointeger(L, -1));
  lua_settop(L, kPrice);
#endif
  return 0;
}

const char* error(lode_lua_vm* vm) { return vm->error; }

}  // namespace

#ifdef LODE_LUA_FFI
#define LODE_LUA_ENGINE LUAJIT_VERSION
#else
#define LODE_LUA_ENGINE LUA_RELEASE
#endif

extern "C" __attribute__((visibility("default"))) const lode_lua_api lode_lua_entry = {
    LODE_LUA_ENGINE, openVm, observe, own, price, error, closeVm};
