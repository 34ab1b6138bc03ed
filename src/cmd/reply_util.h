// Small helpers shared by command handlers: argument parsing with Redis's rules, and the
// version StashDB reports to clients.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stash {

// The Redis version reported by INFO and HELLO, so clients that check versions accept StashDB.
inline constexpr const char* kRedisVersion = "7.0.0";
inline constexpr const char* kStashVersion = "0.1.0";

// Redis's string2ll: optional '-', digits, no leading zeros, no '+', no spaces, fits int64.
bool ParseInteger(std::string_view s, int64_t* value);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Client names and lib info: printable ASCII without spaces ('!' .. '~').
bool ValidClientName(std::string_view name);

}  // namespace stash
