#include "config/notify_flags.h"

#include <span>

namespace stash {
namespace {

struct Letter {
  char c;
  uint32_t flag;
};

// In the order Redis writes them (keyspaceEventsFlagsToString); K, E and m come last.
constexpr Letter kClassLetters[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew},
};
constexpr Letter kChannelLetters[] = {
    {'K', kNotifyKeyspace}, {'E', kNotifyKeyevent}, {'m', kNotifyKeyMiss}};

}  // namespace

bool ParseNotifyFlags(std::string_view letters, uint32_t* flags) {
  uint32_t f = 0;
  for (char c : letters) {
    if (c == 'A') {
      f |= kNotifyAll;
      continue;
    }
    bool known = false;
    for (const auto& table :
         {std::span<const Letter>(kClassLetters), std::span<const Letter>(kChannelLetters)}) {
      for (const Letter& l : table) {
        if (l.c == c) {
          f |= l.flag;
          known = true;
        }
      }
    }
    if (!known) return false;
  }
  *flags = f;
  return true;
}

std::string FormatNotifyFlags(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';  // as Redis: then n is not shown
  } else {
    for (const Letter& l : kClassLetters) {
      if (flags & l.flag) out += l.c;
    }
  }
  for (const Letter& l : kChannelLetters) {
    if (flags & l.flag) out += l.c;
  }
  return out;
}

}  // namespace stash
