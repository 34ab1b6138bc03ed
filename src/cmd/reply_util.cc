#include "cmd/reply_util.h"

#include "resp/reply_writer.h"

namespace stash {

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void ReplyHelp(resp::ReplyWriter& out, std::span<const std::string_view> lines) {
  out.ArrayHeader(lines.size());
  for (std::string_view l : lines) out.Simple(l);
}

}  // namespace stash
