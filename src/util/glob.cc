#include "util/glob.h"

#include <cctype>
#include <utility>

namespace stash {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

bool GlobMatch(std::string_view p, std::string_view s, bool nocase) {
  auto eq = [nocase](char a, char b) { return nocase ? Lower(a) == Lower(b) : a == b; };
  size_t pi = 0, si = 0;
  while (pi < p.size()) {
    switch (p[pi]) {
      case '*': {
        while (pi + 1 < p.size() && p[pi + 1] == '*') pi++;
        if (pi + 1 == p.size()) return true;
        for (size_t k = si; k <= s.size(); k++) {
          if (GlobMatch(p.substr(pi + 1), s.substr(k), nocase)) return true;
        }
        return false;
      }
      case '?':
        if (si >= s.size()) return false;
        si++;
        break;
      case '[': {
        if (si >= s.size()) return false;
        pi++;
        bool negate = pi < p.size() && p[pi] == '^';
        if (negate) pi++;
        bool match = false;
        while (pi < p.size() && p[pi] != ']') {
          if (p[pi] == '\\' && pi + 1 < p.size()) {
            pi++;
            if (eq(p[pi], s[si])) match = true;
          } else if (pi + 2 < p.size() && p[pi + 1] == '-') {
            char lo = p[pi], hi = p[pi + 2];
            if (lo > hi) std::swap(lo, hi);
            char c = s[si];
            if (nocase) {
              lo = Lower(lo);
              hi = Lower(hi);
              c = Lower(c);
            }
            if (c >= lo && c <= hi) match = true;
            pi += 2;
          } else if (eq(p[pi], s[si])) {
            match = true;
          }
          pi++;
        }
        if (pi >= p.size()) pi--;  // Redis treats a missing ']' as ending the pattern
        if (negate) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      case '\\':
        if (pi + 1 < p.size()) pi++;
        [[fallthrough]];
      default:
        if (si >= s.size() || !eq(p[pi], s[si])) return false;
        si++;
        break;
    }
    pi++;
  }
  return si == s.size();
}

}  // namespace stash
