// Small helpers shared by command handlers: client-name rules, and the version StashDB reports
// to clients. (Integer parsing and case folding: util/strings.h.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/strings.h"

namespace stash {

// The Redis version reported by INFO and HELLO, so clients that check versions accept StashDB.
inline constexpr const char* kRedisVersion = "7.0.0";
inline constexpr const char* kStashVersion = "0.1.0";

// Client names and lib info: printable ASCII without spaces ('!' .. '~').
bool ValidClientName(std::string_view name);

}  // namespace stash
