// Small helpers shared by command handlers: client-name rules, the version StashDB reports to
// clients, and the shape of a HELP reply. (Integer parsing and case folding: util/strings.h.)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/strings.h"

namespace stash {

// The Redis version reported by INFO and HELLO, so clients that check versions accept StashDB.
inline constexpr const char* kRedisVersion = "7.0.0";
inline constexpr const char* kStashVersion = "0.1.0";

// Client names and lib info: printable ASCII without spaces ('!' .. '~').
bool ValidClientName(std::string_view name);

namespace resp {
class ReplyWriter;
}
// A <COMMAND> HELP reply: one simple string per line.
void ReplyHelp(resp::ReplyWriter& out, std::span<const std::string_view> lines);

}  // namespace stash
