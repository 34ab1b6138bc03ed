#include "cmd/reply_util.h"

#include <charconv>

namespace stash {

bool ParseInteger(std::string_view s, int64_t* value) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *value = 0;
    return true;
  }
  size_t digits_at = s[0] == '-' ? 1 : 0;
  if (digits_at >= s.size() || s[digits_at] < '1' || s[digits_at] > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return ec == std::errc() && p == s.data() + s.size();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

}  // namespace stash
