// Redis's math.random for scripts: the 48-bit linear congruential generator of lrand48 (a =
// 0x5DEECE66D, c = 0xB), reseeded with 0 before every script, so a script draws the same
// numbers on every run and on every server (as Redis 7.0's scripts do).
#pragma once

#include <cstdint>

struct lua_State;

namespace stash::script {

class Lrand48 {
 public:
  void Seed(int32_t seed) {
    x_ = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330e;
  }
  // 31 random bits.
  int32_t Next();

 private:
  uint64_t x_ = 0x330e;
};

// Replaces math.random and math.randomseed (in the table at the top of L's stack) by functions
// drawing from rng.
void InstallRandom(lua_State* L, Lrand48* rng);

}  // namespace stash::script
