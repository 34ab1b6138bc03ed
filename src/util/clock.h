// The wall clock every layer reads: milliseconds since the Unix epoch. Expiry times, idle times,
// INFO's times and the log all use this one function.
#pragma once

#include <chrono>
#include <cstdint>

namespace stash {

inline int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace stash
