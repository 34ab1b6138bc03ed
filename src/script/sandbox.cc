#include "script/sandbox.h"

#include <lua.hpp>

#include <initializer_list>
#include <string_view>

namespace stash::script {
namespace {

constexpr const char* kProtectedKey = "stash.protected";
constexpr const char* kGuardKey = "stash.guard";
constexpr const char* kLoadGlobalsKey = "stash.load_globals";
constexpr const char* kReadonly = "Attempt to modify a readonly table";

const char* const kAllowedBuiltins[] = {
    "assert", "collectgarbage", "error",  "gcinfo",       "getmetatable", "ipairs",
    "load",   "loadstring",     "next",   "pairs",        "pcall",        "rawequal",
    "rawget", "rawset",         "select", "setmetatable", "tonumber",     "tostring",
    "type",   "unpack",         "xpcall", "_VERSION",
};
const char* const kLibraries[] = {"coroutine", "string", "table",    "math", "cjson",
                                  "bit",       "struct", "cmsgpack", "redis"};

int ReadonlyError(lua_State* L) { return luaL_error(L, kReadonly); }

int MissingGlobal(lua_State* L) {
  const char* name = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name);
}

bool IsProtected(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  const bool yes = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return yes;
}

// rawset and setmetatable, refusing the protected tables; the original is upvalue 1.
int Guarded(lua_State* L) {
  if (IsProtected(L, 1)) {
    lua_pushstring(L, kReadonly);
    return lua_error(L);
  }
  const int argc = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, argc, LUA_MULTRET);
  return lua_gettop(L);
}

// Replaces the value at idx, when it is a read-only proxy, by the table it reads.
void ToTarget(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  if (lua_istable(L, -1)) {
    lua_replace(L, idx);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 2);
  }
}

// next and rawget (the original is upvalue 1) see through the proxies, so that pairs(_G) and
// rawget(redis, 'call') read the tables behind them.
int SeeThrough(lua_State* L) {
  if (lua_gettop(L) >= 1) ToTarget(L, 1);
  const int argc = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, argc, LUA_MULTRET);
  return lua_gettop(L);
}

// pairs(t): the see-through next (upvalue 1), t, nil.
int Pairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// pcall as Redis 7.0 has it: an error raised as a table with an err field (redis.call's, or
// error({err = ...})) comes back as that field.
int Pcall(lua_State* L) {
  const int argc = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, argc, LUA_MULTRET);
  if (!lua_toboolean(L, 1) && lua_istable(L, 2)) {
    lua_pushliteral(L, "err");
    lua_rawget(L, 2);
    if (!lua_isnil(L, -1)) {
      lua_replace(L, 2);
    } else {
      lua_pop(L, 1);
    }
  }
  return lua_gettop(L);
}

// Marks the table at idx read-only; target (a stack index, or 0) is the table it reads.
void MarkProtected(lua_State* L, int idx, int target = 0) {
  idx = idx < 0 ? lua_gettop(L) + 1 + idx : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  if (target != 0) {
    lua_pushvalue(L, target);
  } else {
    lua_pushboolean(L, 1);
  }
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Replaces the table at the top of the stack by a read-only proxy of it. guard is the
// stack index of what getmetatable(proxy) answers.
void PushProxy(lua_State* L, int guard) {
  const int target = lua_gettop(L);
  lua_newtable(L);  // the proxy
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, target);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, guard);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  MarkProtected(L, -1, target);
  lua_replace(L, target);
}

}  // namespace

void Sandbox(lua_State* L) {
  lua_newtable(L);  // read-only table -> the table it reads (or true); weak keys
  lua_newtable(L);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kProtectedKey);

  // What getmetatable answers for a protected table: an empty table nobody can write.
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  MarkProtected(L, -1);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kGuardKey);
  const int guard = lua_gettop(L);

  lua_newtable(L);  // the real globals
  const int real = lua_gettop(L);
  for (const char* name : kAllowedBuiltins) {
    lua_getglobal(L, name);
    lua_setfield(L, real, name);
  }
  for (const char* name : {"rawset", "setmetatable"}) {
    lua_getglobal(L, name);
    lua_pushcclosure(L, Guarded, 1);
    lua_setfield(L, real, name);
  }
  lua_getglobal(L, "pcall");
  lua_pushcclosure(L, Pcall, 1);
  lua_setfield(L, real, "pcall");
  lua_getglobal(L, "rawget");
  lua_pushcclosure(L, SeeThrough, 1);
  lua_setfield(L, real, "rawget");
  lua_getglobal(L, "next");
  lua_pushcclosure(L, SeeThrough, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, real, "next");
  lua_pushcclosure(L, Pairs, 1);
  lua_setfield(L, real, "pairs");
  for (const char* name : kLibraries) {
    lua_getglobal(L, name);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    if (name == std::string_view("string")) {
      // ("x"):upper() and getmetatable("").__index == string: strings index the proxy, and
      // their metatable is read-only too.
      PushProxy(L, guard);
      lua_pushliteral(L, "");
      lua_getmetatable(L, -1);
      lua_pushvalue(L, -3);
      lua_setfield(L, -2, "__index");
      lua_pushvalue(L, -1);
      PushProxy(L, guard);
      lua_setfield(L, -2, "__metatable");
      lua_pop(L, 2);
    } else {
      PushProxy(L, guard);
    }
    lua_setfield(L, real, name);
  }
  lua_newtable(L);  // the real globals' metatable: a name not there is an error
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, real);

  lua_pushvalue(L, real);
  lua_setfield(L, LUA_REGISTRYINDEX, kGlobalsKey);
  lua_pushvalue(L, real);
  PushProxy(L, guard);  // the globals scripts see
  lua_pushvalue(L, -1);
  lua_setfield(L, real, "_G");
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_settop(L, guard - 1);
}

void BuildLoadGlobals(lua_State* L) {
  const int reg = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, kGuardKey);
  const int guard = lua_gettop(L);
  lua_newtable(L);  // the metatable of both tables: a missing name is an error
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  const int missing = lua_gettop(L);

  lua_newtable(L);  // redis, as library code sees it while loading
  lua_pushvalue(L, reg);
  lua_setfield(L, -2, "register_function");
  lua_getfield(L, LUA_REGISTRYINDEX, kGlobalsKey);
  lua_getfield(L, -1, "redis");  // the proxy of the full library
  lua_remove(L, -2);
  for (const char* name : {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
                           "REDIS_VERSION", "REDIS_VERSION_NUM"}) {
    lua_getfield(L, -1, name);
    lua_setfield(L, -3, name);
  }
  lua_pop(L, 1);
  lua_pushvalue(L, missing);
  lua_setmetatable(L, -2);
  PushProxy(L, guard);

  lua_newtable(L);  // the load globals
  lua_insert(L, -2);
  lua_setfield(L, -2, "redis");
  lua_pushvalue(L, missing);
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadGlobalsKey);
  lua_settop(L, reg - 1);
}

void PushLibraryEnv(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kGuardKey);
  const int guard = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadGlobalsKey);
  PushProxy(L, guard);
  lua_remove(L, guard);
}

void ActivateLibraryEnv(lua_State* L, int idx) {
  lua_getmetatable(L, idx);
  lua_getfield(L, LUA_REGISTRYINDEX, kGlobalsKey);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

}  // namespace stash::script
