// The C interface of one embedded Lua running E1 (bench/lua/shim.cpp), built twice: against Lua 5.4
// (liblua5.4) and against LuaJIT (libluajit-5.1). Both libraries export the same lua_* symbols, so no
// binary can link both: the benchmark links neither, dlopens each shim with RTLD_LOCAL (each shim then
// resolves lua_* in its own library) and reads its entry table with dlsym (bench/lua_e1.cpp).
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// One shipment as flat fields (E1Shipment, strings not copied) and its price (E1Result). Declared
// through a macro so that LuaJIT's ffi.cdef gets the very same text (LODE_LUA_TYPES_TEXT).
#define LODE_LUA_TYPES                                                                      \
  struct lode_lua_shipment {                                                                \
    int64_t quantity, value, energy_density, content_value;                                 \
    const char* hs;                                                                         \
    const char* facility;                                                                   \
    int32_t hs_len, facility_len, date, origin, mineral, node;                              \
    int32_t has_facility, has_energy_density, has_content_value, coated, feoc_controlled;   \
  };                                                                                        \
  struct lode_lua_result {                                                                  \
    int64_t total;                                                                          \
    int32_t ok, lines, origin;                                                              \
  };
LODE_LUA_TYPES
#define LODE_LUA_STR_(...) #__VA_ARGS__
#define LODE_LUA_STR(...) LODE_LUA_STR_(__VA_ARGS__)
#define LODE_LUA_TYPES_TEXT LODE_LUA_STR(LODE_LUA_TYPES)

typedef struct lode_lua_vm lode_lua_vm;

// Every call but open reports failure as non-zero, with the message in error().
struct lode_lua_api {
  const char* engine;  // "Lua 5.4.4", "LuaJIT 2.1.0-beta3", ...
  // Runs dir/script with dir as its argument; it returns the module (bench/lua/e1.lua). Null on
  // failure, with a message in err.
  lode_lua_vm* (*open)(const char* dir, const char* script, char* err, size_t errLen);
  // Setup, before the first price: a BMI.USPG10 observation (in date order), a registry edge.
  int (*observe)(lode_lua_vm* vm, int32_t date, int64_t raw);
  int (*own)(lode_lua_vm* vm, const char* entity, const char* owner, int64_t share, int64_t country);
  int (*price)(lode_lua_vm* vm, const struct lode_lua_shipment* in, struct lode_lua_result* out);
  const char* (*error)(lode_lua_vm* vm);
  void (*close)(lode_lua_vm* vm);
};

// The name under which each shim exports its `const struct lode_lua_api`.
#define LODE_LUA_ENTRY "lode_lua_entry"

#ifdef __cplusplus
}
#endif
