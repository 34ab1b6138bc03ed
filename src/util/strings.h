// ASCII string helpers with Redis's rules, shared by every layer that reads command arguments
// or configuration: case folding and Redis's strict integer parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stash {

// ASCII case folding ('A'-'Z' only, as Redis's command lookup).
char AsciiLower(char c);
std::string AsciiLower(std::string_view s);
void AsciiLowerInPlace(std::string* s);
std::string AsciiUpper(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Redis's string2ll: optional '-', digits, no leading zeros, no '+', no spaces, fits int64.
bool ParseInteger(std::string_view s, int64_t* value);

}  // namespace stash
