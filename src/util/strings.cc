#include "util/strings.h"

#include <charconv>

namespace stash {

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  AsciiLowerInPlace(&out);
  return out;
}

void AsciiLowerInPlace(std::string* s) {
  for (char& c : *s) c = AsciiLower(c);
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

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

}  // namespace stash
