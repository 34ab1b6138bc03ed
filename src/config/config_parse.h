// Value syntax shared by the config file, command-line flags and CONFIG SET.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stash {

// Splits a config line into arguments the way redis.conf lines are split: blanks separate,
// "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \'.
// Returns false on unbalanced quotes.
bool SplitConfigArgs(std::string_view line, std::vector<std::string>* args);

// Redis memory units: 1k=1000, 1kb=1024, 1m=10^6, 1mb=2^20, 1g=10^9, 1gb=2^30 (case-insensitive);
// a plain integer is bytes. Returns false if malformed or out of range.
bool ParseMemory(std::string_view text, int64_t* bytes);
bool ParseInt64(std::string_view text, int64_t* value);

}  // namespace stash
