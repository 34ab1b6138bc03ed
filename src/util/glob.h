// Redis's glob (stringmatchlen): * ? [abc] [^a-z] and \\x escapes. Used by CONFIG GET, KEYS,
// SCAN MATCH and COMMAND LIST FILTERBY PATTERN.
#pragma once

#include <string_view>

namespace stash {

// nocase compares ASCII letters case-insensitively.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase);

}  // namespace stash
