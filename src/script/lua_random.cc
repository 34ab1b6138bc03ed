#include "script/lua_random.h"

#include <lua.hpp>

#include <cmath>
#include <cstdint>

namespace stash::script {
namespace {

constexpr int32_t kMax = INT32_MAX;

Lrand48* Rng(lua_State* L) { return static_cast<Lrand48*>(lua_touserdata(L, lua_upvalueindex(1))); }

// math.random([m [, n]]) as Lua 5.1 defines it, on Lrand48.
int Random(lua_State* L) {
  const double r = static_cast<double>(Rng(L)->Next() % kMax) / static_cast<double>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      const int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      const int l = luaL_checkint(L, 1);
      const int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int RandomSeed(lua_State* L) {
  Rng(L)->Seed(static_cast<int32_t>(luaL_checkint(L, 1)));
  return 0;
}

}  // namespace

int32_t Lrand48::Next() {
  x_ = (x_ * 0x5deece66dULL + 0xb) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(x_ >> 17);
}

void InstallRandom(lua_State* L, Lrand48* rng) {
  lua_pushlightuserdata(L, rng);
  lua_pushcclosure(L, Random, 1);
  lua_setfield(L, -2, "random");
  lua_pushlightuserdata(L, rng);
  lua_pushcclosure(L, RandomSeed, 1);
  lua_setfield(L, -2, "randomseed");
}

}  // namespace stash::script
