#include "config/config_parse.h"

#include "util/strings.h"

#include <cctype>
#include <charconv>
#include <limits>

namespace stash {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Escape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

}  // namespace

bool SplitConfigArgs(std::string_view line, std::vector<std::string>* args) {
  args->clear();
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) i++;
    if (i >= n) return true;
    std::string cur;
    bool in_dq = false, in_sq = false;
    while (true) {
      if (in_dq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 4;
        } else if (line[i] == '\\' && i + 1 < n) {
          cur.push_back(Escape(line[i + 1]));
          i += 2;
        } else if (line[i] == '"') {
          i++;
          if (i < n && !std::isspace(static_cast<unsigned char>(line[i]))) return false;
          break;
        } else {
          cur.push_back(line[i++]);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          cur.push_back('\'');
          i += 2;
        } else if (line[i] == '\'') {
          i++;
          if (i < n && !std::isspace(static_cast<unsigned char>(line[i]))) return false;
          break;
        } else {
          cur.push_back(line[i++]);
        }
      } else {
        if (i >= n || std::isspace(static_cast<unsigned char>(line[i]))) break;
        if (line[i] == '"') {
          in_dq = true;
        } else if (line[i] == '\'') {
          in_sq = true;
        } else {
          cur.push_back(line[i]);
        }
        i++;
      }
    }
    args->push_back(std::move(cur));
  }
}

bool ParseInt64(std::string_view text, int64_t* value) {
  if (text.empty()) return false;
  const char* b = text.data();
  const char* e = b + text.size();
  if (*b == '+') return false;
  auto [p, ec] = std::from_chars(b, e, *value);
  return ec == std::errc() && p == e;
}

bool ParseMemory(std::string_view text, int64_t* bytes) {
  size_t digits = 0;
  if (!text.empty() && text[0] == '-') digits = 1;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) digits++;
  int64_t num;
  if (!ParseInt64(text.substr(0, digits), &num)) return false;
  std::string unit;
  for (char c : text.substr(digits)) unit.push_back(AsciiLower(c));
  int64_t mul;
  if (unit.empty() || unit == "b")
    mul = 1;
  else if (unit == "k")
    mul = 1000;
  else if (unit == "kb")
    mul = 1024;
  else if (unit == "m")
    mul = 1000 * 1000;
  else if (unit == "mb")
    mul = 1024 * 1024;
  else if (unit == "g")
    mul = 1000ll * 1000 * 1000;
  else if (unit == "gb")
    mul = 1024ll * 1024 * 1024;
  else
    return false;
  if (num > std::numeric_limits<int64_t>::max() / mul ||
      num < std::numeric_limits<int64_t>::min() / mul) {
    return false;
  }
  *bytes = num * mul;
  return true;
}

}  // namespace stash
