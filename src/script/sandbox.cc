#include "script/sandbox.h"

#include <lua.hpp>

#include <initializer_list>
#include <string_view>

namespace stash::script {
namespace {

constexpr const char* kProtectedKey = "stash.protected";
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

void MarkProtected(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + 1 + idx : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
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
  MarkProtected(L, -1);
  lua_replace(L, target);
}

}  // namespace

void Sandbox(lua_State* L) {
  lua_newtable(L);
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

}  // namespace stash::script
