// SHA-1 (FIPS 180-4), for the names of Lua scripts: Redis names a script by the SHA-1 of its
// body in lowercase hex (EVALSHA, SCRIPT LOAD, redis.sha1hex).
#pragma once

#include <string>
#include <string_view>

namespace stash {

// The 40 lowercase hex digits of data's SHA-1.
std::string Sha1Hex(std::string_view data);

}  // namespace stash
