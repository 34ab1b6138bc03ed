#include "util/glob.h"

#include "util/strings.h"

#include <cctype>
#include <utility>

namespace stash {
namespace {

// Matches the one pattern element at p[pi] (a literal, '?', '\x' or a '[...]' class) against c.
// Sets *next to the index after the element.
bool MatchOne(std::string_view p, size_t pi, char c, bool nocase, size_t* next) {
  auto eq = [nocase](char a, char b) { return nocase ? AsciiLower(a) == AsciiLower(b) : a == b; };
  switch (p[pi]) {
    case '?':
      *next = pi + 1;
      return true;
    case '\\':
      if (pi + 1 < p.size()) {
        *next = pi + 2;
        return eq(p[pi + 1], c);
      }
      *next = pi + 1;
      return eq('\\', c);
    case '[': {
      size_t i = pi + 1;
      bool negate = i < p.size() && p[i] == '^';
      if (negate) i++;
      bool match = false;
      while (i < p.size() && p[i] != ']') {
        if (p[i] == '\\' && i + 1 < p.size()) {
          i++;
          if (eq(p[i], c)) match = true;
        } else if (i + 2 < p.size() && p[i + 1] == '-') {
          char lo = p[i], hi = p[i + 2], x = c;
          if (lo > hi) std::swap(lo, hi);
          if (nocase) {
            lo = AsciiLower(lo);
            hi = AsciiLower(hi);
            x = AsciiLower(x);
          }
          if (x >= lo && x <= hi) match = true;
          i += 2;
        } else if (eq(p[i], c)) {
          match = true;
        }
        i++;
      }
      // Redis treats a missing ']' as ending the pattern.
      *next = i < p.size() ? i + 1 : p.size();
      return negate ? !match : match;
    }
    default:
      *next = pi + 1;
      return eq(p[pi], c);
  }
}

}  // namespace

// Iterative matching with one backtrack point (the last '*'): every other element matches
// exactly one character, so retrying from the last star is enough, and the work is bounded by
// pattern length x text length (a recursive matcher is exponential on patterns like *a*a*a*b).
bool GlobMatch(std::string_view p, std::string_view s, bool nocase) {
  size_t pi = 0, si = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') pi++;
      if (pi == p.size()) return true;
      star_p = pi;
      star_s = si;
      continue;
    }
    size_t next;
    if (pi < p.size() && MatchOne(p, pi, s[si], nocase, &next)) {
      pi = next;
      si++;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') pi++;
  return pi == p.size();
}

}  // namespace stash
